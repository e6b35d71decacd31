/** Suspicious activity raises one alert per burst; sign-ins and enrolments past the limit are refused. */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fakeBlockV1, startTestApi, type Session, type TestApi } from '../../../tests/support/api.ts'
import { connectSse, type SseEvent } from '../../../tests/support/sse.ts'
import { REWRITES_PER_MINUTE } from '../plugins/app/suspicious_activity.ts'

const LIMIT = 4
let api: TestApi
let owner: Session
let email: string

const alerts = async (s = owner) => (await api.app.inject({ method: 'GET', url: '/api/security/alerts', headers: s.headers })).json().alerts
const login = (password: string, remoteAddress: string) =>
  api.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress, payload: { email, password } })

beforeAll(async () => {
  api = await startTestApi({ loginRateLimit: LIMIT })
  email = `owner-${randomUUID()}@example.com`
  const res = await api.app.inject({ method: 'POST', url: '/api/auth/register', payload: { email, password: 'the right password', tenantName: 'Watched' } })
  const { token, user, tenant } = res.json()
  owner = { token, userId: user.id, tenantId: tenant.id, headers: { authorization: `Bearer ${token}` } }
})
afterAll(() => api.close())

describe('failed sign-ins', () => {
  test('many failures on one account raise one alert for its tenant and lock the account for the window', async () => {
    // From different addresses, so the per-address limit is not what stops them.
    for (let i = 0; i < LIMIT; i++) expect((await login('wrong password', `10.1.0.${i + 1}`)).statusCode).toBe(401)
    expect((await login('the right password', '10.1.0.99')).statusCode).toBe(429)
    const raised = (await alerts()).filter((a: { kind: string }) => a.kind === 'failed_logins')
    expect(raised).toEqual([expect.objectContaining({ subject_type: 'user', subject_id: owner.userId, count: LIMIT })])
    const text = JSON.stringify(await api.app.knex('security_alerts')) + JSON.stringify(await api.app.knex('audit_events').where({ action: 'security.alert' }))
    expect(text).not.toContain(email)
    expect(text).not.toContain('wrong password')
  })
})

describe('enrolment attempts', () => {
  test('guessing codes from one address raises an alert and is refused for the window, even with a valid code', async () => {
    const site = (await api.app.inject({ method: 'POST', url: '/api/sites', headers: owner.headers, payload: { name: 'S' } })).json().id
    const code = (await api.app.inject({ method: 'POST', url: `/api/sites/${site}/devices`, headers: owner.headers, payload: { name: 'rig' } })).json().enrollment_code
    const enrol = (c: string, remoteAddress = '10.2.0.7') => api.app.inject({ method: 'POST', url: '/api/edge/enroll', remoteAddress, payload: { code: c } })
    for (let i = 0; i < LIMIT - 1; i++) expect((await enrol(`AAAAA-${String(i).padStart(5, '0')}`)).statusCode).toBe(401)
    expect((await enrol('BBBBB-BBBBB')).statusCode).toBe(401)
    expect((await enrol(code)).statusCode).toBe(429)
    const rows = await api.app.knex('security_alerts').where({ kind: 'enrollment_attempts' })
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ tenant_id: null, subject_type: 'address', count: LIMIT })
    expect(JSON.stringify(rows)).not.toContain('10.2.0.7')
    expect((await enrol(code, '10.2.0.8')).statusCode).toBe(200)
  })
})

describe('rapid block rewrites', () => {
  test('rewriting one block many times a minute raises one alert naming the miner', async () => {
    const site = (await api.app.inject({ method: 'POST', url: '/api/sites', headers: owner.headers, payload: { name: 'R' } })).json().id
    const miner = (await api.app.inject({ method: 'POST', url: `/api/sites/${site}/miners`, headers: owner.headers, payload: { name: 'm', ip_address: '10.0.0.1' } })).json().id
    for (let i = 0; i < REWRITES_PER_MINUTE + 5; i++) {
      const res = await api.app.inject({ method: 'POST', url: `/api/miners/${miner}/credentials`, headers: owner.headers, payload: { encrypted_credentials: fakeBlockV1() } })
      expect(res.statusCode).toBe(200)
    }
    let raised: { subject_id: string }[] = []
    for (let i = 0; i < 50 && raised.length === 0; i++) {
      raised = (await alerts()).filter((a: { kind: string }) => a.kind === 'rapid_block_rewrites')
      if (!raised.length) await new Promise((r) => setTimeout(r, 20))
    }
    expect(raised).toEqual([expect.objectContaining({ subject_type: 'block_subject', subject_id: miner, count: REWRITES_PER_MINUTE })])
    const audited = await api.app.knex('audit_events').where({ tenant_id: owner.tenantId, action: 'security.alert', target_id: miner })
    expect(audited).toHaveLength(1)
  })

  test('operators cannot read security alerts', async () => {
    const operator = await api.addMember(owner, 'operator')
    expect((await api.app.inject({ method: 'GET', url: '/api/security/alerts', headers: operator.headers })).statusCode).toBe(403)
  })
})

describe('GET /api/stream: security.alert', () => {
  test('owners and admins receive a raised alert live and on resume; operators, viewers and other tenants never do', async () => {
    const base = await api.app.listen({ port: 0, host: '127.0.0.1' })
    const farmEmail = `farm-${randomUUID()}@example.com`
    const registered = (await api.app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: farmEmail, password: 'the farm password', tenantName: 'Streamed' } })).json()
    const farmOwner: Session = { token: registered.token, userId: registered.user.id, tenantId: registered.tenant.id, headers: { authorization: `Bearer ${registered.token}` } }
    const call = (s: Session, url: string, payload: object) => api.app.inject({ method: 'POST', url, headers: s.headers, payload })
    const streamOf = async (s: Session, lastEventId?: string) =>
      connectSse(`${base}/api/stream?ticket=${encodeURIComponent((await call(s, '/api/stream/ticket', {})).json().ticket)}`, lastEventId ? { 'last-event-id': lastEventId } : {})
    const site = (await call(farmOwner, '/api/sites', { name: 'S' })).json().id
    const [m1, m2] = [(await call(farmOwner, `/api/sites/${site}/miners`, { name: 'm1', ip_address: '10.0.0.1' })).json().id, (await call(farmOwner, `/api/sites/${site}/miners`, { name: 'm2', ip_address: '10.0.0.2' })).json().id]
    const changed = (miner: string) => (e: SseEvent) => e.event === 'miner.changed' && (e.data as { miner_id: string }).miner_id === miner
    const isAlert = (e: SseEvent) => e.event === 'security.alert'

    const [admin, operator, viewer] = [await api.addMember(farmOwner, 'admin', [site]), await api.addMember(farmOwner, 'operator'), await api.addMember(farmOwner, 'viewer')]
    const stranger = await api.register()
    const [toOwner, toAdmin, toOperator, toViewer, toStranger] = await Promise.all([streamOf(farmOwner), streamOf(admin), streamOf(operator), streamOf(viewer), streamOf(stranger)])
    try {
      await call(farmOwner, `/api/miners/${m1}/credentials`, { encrypted_credentials: fakeBlockV1() })
      const before = (await toViewer.waitFor(changed(m1))).id!

      for (let i = 0; i < LIMIT; i++) {
        const res = await api.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: `10.9.0.${i + 1}`, payload: { email: farmEmail, password: 'wrong password' } })
        expect(res.statusCode).toBe(401)
      }
      const raised = await toOwner.waitFor(isAlert)
      expect(raised.data).toEqual({ id: expect.any(String), kind: 'failed_logins', subject_type: 'user', subject_id: farmOwner.userId, count: LIMIT, window_s: 60, at: expect.any(String) })
      // A site-limited admin reads security alerts too: they are tenant-wide.
      expect((await toAdmin.waitFor(isAlert)).data).toEqual(raised.data)
      expect(JSON.stringify(raised.data)).not.toContain(farmEmail)

      // Whatever comes after the alert reaches the others, and the alert did not.
      await call(farmOwner, `/api/miners/${m2}/credentials`, { encrypted_credentials: fakeBlockV1() })
      for (const sse of [toOperator, toViewer]) {
        await sse.waitFor(changed(m2))
        expect(sse.events.filter(isAlert)).toEqual([])
      }
      expect(toStranger.events.filter(isAlert)).toEqual([])

      const ownerAgain = await streamOf(farmOwner, before)
      const viewerAgain = await streamOf(viewer, before)
      try {
        // The same alert (its stream position may differ: the id also holds where the other feed stood).
        expect((await ownerAgain.waitFor(isAlert)).data).toEqual(raised.data)
        await viewerAgain.waitFor(changed(m2))
        expect(viewerAgain.events.filter(isAlert)).toEqual([])
      } finally {
        ownerAgain.close()
        viewerAgain.close()
      }
    } finally {
      for (const sse of [toOwner, toAdmin, toOperator, toViewer, toStranger]) sse.close()
    }
  })
})
