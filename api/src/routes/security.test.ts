/** Suspicious activity raises one alert per burst; sign-ins and enrolments past the limit are refused. */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fakeBlockV1, startTestApi, type Session, type TestApi } from '../../../tests/support/api.ts'
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
