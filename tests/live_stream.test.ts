/**
 * Edge → API → stream: telemetry and alerts pushed by a device reach SSE clients
 * over real HTTP, resume with Last-Event-ID, and reach clients of another API
 * process on the same database.
 */
import { spawn } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { freePort } from '../api/src/db/embedded_postgres.ts'
import { fakeBlockV1, startTestApi, telemetrySample, type Session, type TestApi } from './support/api.ts'
import { ROOT } from './support/processes.ts'
import { connectSse } from './support/sse.ts'

let api: TestApi
let base: string
let owner: Session
let siteA: string
let siteB: string
let minerA: string
let minerB: string
let deviceA: string
let deviceB: string

const call = (s: Session, method: 'GET' | 'POST', url: string, payload?: object) =>
  api.app.inject({ method, url, headers: s.headers, ...(payload ? { payload } : {}) })

async function enroll(siteId: string): Promise<string> {
  const code = (await call(owner, 'POST', `/api/sites/${siteId}/devices`, { name: 'rig' })).json().enrollment_code
  return (await api.app.inject({ method: 'POST', url: '/api/edge/enroll', payload: { code } })).json().token
}

const sample = telemetrySample

const pushTelemetry = (token: string, samples: object[]) =>
  api.app.inject({ method: 'POST', url: '/api/edge/telemetry', headers: { authorization: `Bearer ${token}` }, payload: { batch_id: randomUUID(), samples } })

async function ticketUrl(s: Session, url = base): Promise<string> {
  const { ticket } = (await call(s, 'POST', '/api/stream/ticket')).json()
  return `${url}/api/stream?ticket=${encodeURIComponent(ticket)}`
}

beforeAll(async () => {
  api = await startTestApi()
  base = await api.app.listen({ port: 0, host: '127.0.0.1' })
  owner = await api.register()
  siteA = (await call(owner, 'POST', '/api/sites', { name: 'A' })).json().id
  siteB = (await call(owner, 'POST', '/api/sites', { name: 'B' })).json().id
  minerA = (await call(owner, 'POST', `/api/sites/${siteA}/miners`, { name: 'a', ip_address: '10.0.0.1' })).json().id
  minerB = (await call(owner, 'POST', `/api/sites/${siteB}/miners`, { name: 'b', ip_address: '10.0.0.2' })).json().id
  deviceA = await enroll(siteA)
  deviceB = await enroll(siteB)
})
afterAll(() => api.close())

describe('GET /api/stream', () => {
  test('a sample pushed by the edge reaches an SSE client with the site totals', async () => {
    const sse = await connectSse(await ticketUrl(owner))
    expect(sse.status).toBe(200)
    await pushTelemetry(deviceA, [sample(minerA, { hashrate_ths: 123.4 })])
    const e = await sse.waitFor((x) => x.event === 'telemetry')
    expect(e.data).toMatchObject({ site_id: siteA, miners: [{ miner_id: minerA, hashrate_ths: 123.4, online: true }] })
    expect((e.data as { totals: { online: number } }).totals.online).toBe(1)
    sse.close()
  })

  test('a block saved on one device reaches the others as miner.changed', async () => {
    const sse = await connectSse(await ticketUrl(owner))
    await call(owner, 'POST', `/api/miners/${minerA}/credentials`, { encrypted_credentials: fakeBlockV1() })
    const e = await sse.waitFor((x) => x.event === 'miner.changed' && (x.data as { miner_id: string }).miner_id === minerA)
    expect((e.data as { revision: number }).revision).toBeGreaterThan(1)
    sse.close()
  })

  test('alerts raise and clear through the stream', async () => {
    const sse = await connectSse(await ticketUrl(owner))
    await pushTelemetry(deviceA, [sample(minerA, { chip_temps_c: [91] })])
    const raised = await sse.waitFor((x) => x.event === 'alert.raised')
    expect(raised.data).toMatchObject({ miner_id: minerA, type: 'temperature', value: 91, threshold: 85 })
    await pushTelemetry(deviceA, [sample(minerA, { chip_temps_c: [75] })])
    const cleared = await sse.waitFor((x) => x.event === 'alert.cleared')
    expect(cleared.data).toMatchObject({ miner_id: minerA, type: 'temperature' })
    const rows = await api.app.knex('alerts').where({ miner_id: minerA, type: 'temperature' })
    expect(rows).toHaveLength(1)
    expect(rows[0].cleared_at).not.toBeNull()
    sse.close()
  })

  test('a reconnecting client resumes with Last-Event-ID and misses nothing', async () => {
    const first = await connectSse(await ticketUrl(owner))
    await pushTelemetry(deviceA, [sample(minerA, { hashrate_ths: 1 })])
    const seen = await first.waitFor((x) => x.event === 'telemetry' && (x.data as { miners: { hashrate_ths: number }[] }).miners[0]!.hashrate_ths === 1)
    first.close()
    await pushTelemetry(deviceA, [sample(minerA, { hashrate_ths: 2 })])
    await pushTelemetry(deviceA, [sample(minerA, { hashrate_ths: 3 })])
    const again = await connectSse(await ticketUrl(owner), { 'last-event-id': seen.id! })
    await again.waitFor((x) => x.event === 'telemetry' && (x.data as { miners: { hashrate_ths: number }[] }).miners[0]!.hashrate_ths === 3)
    const rates = again.events.filter((x) => x.event === 'telemetry').map((x) => (x.data as { miners: { hashrate_ths: number }[] }).miners[0]!.hashrate_ths)
    expect(rates).toEqual([2, 3])
    again.close()
  })

  test('another API process on the same database delivers events written through this one', async () => {
    const port = await freePort()
    const other = spawn(process.execPath, ['--import', 'tsx', 'api/src/server.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), DATABASE_URL: api.databaseUrl, JWT_SECRET: api.app.config.jwtSecret, SERVE_PWA: 'false', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    try {
      await new Promise<void>((done, fail) => {
        let out = ''
        const seen = (d: Buffer) => { out += d; if (out.includes('API listening')) done() }
        other.stdout!.on('data', seen)
        other.stderr!.on('data', seen)
        other.once('exit', (code) => fail(new Error(`Cannot start the second API process (exit ${code}): ${out}`)))
      })
      const sse = await connectSse(await ticketUrl(owner, `http://127.0.0.1:${port}`))
      await pushTelemetry(deviceA, [sample(minerA, { hashrate_ths: 77 })])
      const e = await sse.waitFor((x) => x.event === 'telemetry' && (x.data as { miners: { hashrate_ths: number }[] }).miners[0]!.hashrate_ths === 77)
      expect(e.id).toMatch(/^\d+\.\d+_\d+\.\d+$/)
      sse.close()
    } finally {
      await new Promise((done) => { other.once('exit', done); other.kill('SIGTERM') })
    }
  }, 60_000)

  test('a member limited to one site never receives another site\'s events', async () => {
    const limited = await api.addMember(owner, 'viewer', [siteA])
    const sse = await connectSse(await ticketUrl(limited))
    await pushTelemetry(deviceB, [sample(minerB, { hashrate_ths: 55 })])
    await pushTelemetry(deviceA, [sample(minerA, { hashrate_ths: 56 })])
    await sse.waitFor((x) => x.event === 'telemetry' && (x.data as { site_id: string }).site_id === siteA)
    expect(sse.events.some((x) => (x.data as { site_id?: string }).site_id === siteB)).toBe(false)
    sse.close()
  })

  test('a removed member\'s open stream is closed', async () => {
    const member = await api.addMember(owner, 'viewer')
    const sse = await connectSse(await ticketUrl(member))
    await api.app.knex('memberships').where({ user_id: member.userId }).delete()
    const e = await sse.waitFor((x) => x.event === 'close')
    expect(e.data).toEqual({ reason: 'membership ended' })
  })

  test('tickets open only the stream, and a session token is not accepted in the URL', async () => {
    const { ticket } = (await call(owner, 'POST', '/api/stream/ticket')).json()
    expect((await api.app.inject({ method: 'GET', url: '/api/sites', headers: { authorization: `Bearer ${ticket}` } })).statusCode).toBe(401)
    const withSession = await fetch(`${base}/api/stream?ticket=${owner.token}`)
    expect(withSession.status).toBe(401)
    const forged = api.app.jwt.sign({ sub: owner.userId, tid: owner.tenantId, purpose: 'stream' }, { expiresIn: -10 })
    expect((await fetch(`${base}/api/stream?ticket=${forged}`)).status).toBe(401)
    const wrongKey = `${ticket.slice(0, -4)}${randomBytes(3).toString('base64url').slice(0, 4)}`
    expect((await fetch(`${base}/api/stream?ticket=${wrongKey}`)).status).toBe(401)
  })
})
