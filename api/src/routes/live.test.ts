import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startTestApi, telemetrySample, type Session, type TestApi } from '../../../tests/support/api.ts'
import { runRetention } from '../lib/retention.ts'

let api: TestApi
let owner: Session
let siteA: string
let siteB: string
let miners: string[]
let device: string

const call = (s: Session, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  api.app.inject({ method, url, headers: s.headers, ...(payload ? { payload } : {}) })

const sample = (minerId: string, at: Date, patch: Record<string, unknown> = {}) => telemetrySample(minerId, patch, at)
const push = (samples: object[]) =>
  api.app.inject({ method: 'POST', url: '/api/edge/telemetry', headers: { authorization: `Bearer ${device}` }, payload: { batch_id: randomUUID(), samples } })

beforeAll(async () => {
  api = await startTestApi()
  owner = await api.register()
  siteA = (await call(owner, 'POST', '/api/sites', { name: 'A' })).json().id
  siteB = (await call(owner, 'POST', '/api/sites', { name: 'B' })).json().id
  miners = []
  for (let i = 0; i < 3; i++) miners.push((await call(owner, 'POST', `/api/sites/${siteA}/miners`, { name: `a${i}`, ip_address: '10.0.0.1' })).json().id)
  await call(owner, 'POST', `/api/sites/${siteB}/miners`, { name: 'b0', ip_address: '10.0.0.2' })
  const code = (await call(owner, 'POST', `/api/sites/${siteA}/devices`, { name: 'rig' })).json().enrollment_code
  device = (await api.app.inject({ method: 'POST', url: '/api/edge/enroll', payload: { code } })).json().token
  const now = Date.now()
  await push([
    sample(miners[0]!, new Date(now - 1000), { hashrate_ths: 110 }),
    sample(miners[1]!, new Date(now - 1000), { online: false, hashrate_ths: null, power_w: null, chip_temps_c: [], error: { kind: 'timeout', message: 'Cannot poll: timed out' } }),
    sample(miners[2]!, new Date(now - 1000), { hashrate_ths: 90, chip_temps_c: [95] }),
  ])
})
afterAll(() => api.close())

describe('the dashboard reads', () => {
  test('GET /api/sites/:siteId/live has each miner\'s figures, its open alerts and the totals', async () => {
    const live = (await call(owner, 'GET', `/api/sites/${siteA}/live`)).json()
    expect(live.totals).toEqual({ miners: 3, online: 2, alerting: 2, hashrate_ths: 200, power_w: 6000 })
    const byId = new Map(live.miners.map((m: { miner_id: string }) => [m.miner_id, m]))
    expect(byId.get(miners[1]!)).toMatchObject({ online: false, alerts: ['offline'] })
    expect(byId.get(miners[2]!)).toMatchObject({ temp_chip_max_c: 95, alerts: ['temperature'] })
  })

  test('GET /api/live sums the farm over the visible sites', async () => {
    const farm = (await call(owner, 'GET', '/api/live')).json()
    expect(farm.totals).toMatchObject({ miners: 4, online: 2, hashrate_ths: 200 })
    expect(farm.sites.map((s: { name: string }) => s.name)).toEqual(['A', 'B'])
    const limited = await api.addMember(owner, 'viewer', [siteB])
    expect((await call(limited, 'GET', '/api/live')).json().sites.map((s: { name: string }) => s.name)).toEqual(['B'])
  })

  test('GET /api/alerts lists open alerts; thresholds are per site and admin-only to change', async () => {
    const open = (await call(owner, 'GET', '/api/alerts')).json().alerts
    expect(open.map((a: { type: string }) => a.type).sort()).toEqual(['offline', 'temperature'])
    expect((await call(owner, 'GET', `/api/sites/${siteA}/alert-settings`)).json()).toEqual({ temp_limit_c: 85, hashrate_drop_share: 0.2, reject_rate_limit: 0.02 })
    const operator = await api.addMember(owner, 'operator')
    expect((await call(operator, 'PUT', `/api/sites/${siteA}/alert-settings`, { temp_limit_c: 99, hashrate_drop_share: 0.2, reject_rate_limit: 0.02 })).statusCode).toBe(403)
    expect((await call(owner, 'PUT', `/api/sites/${siteA}/alert-settings`, { temp_limit_c: 99, hashrate_drop_share: 0.2, reject_rate_limit: 0.02 })).statusCode).toBe(200)
    // With the higher limit, the next hot sample clears the temperature alert.
    await push([sample(miners[2]!, new Date(), { chip_temps_c: [95] })])
    expect((await call(owner, 'GET', '/api/alerts')).json().alerts.map((a: { type: string }) => a.type)).toEqual(['offline'])
  })

  test('GET /api/history gives 1 h from raw samples and 24 h from the rollups', async () => {
    const hour = (await call(owner, 'GET', `/api/history?range=1h&site_id=${siteA}`)).json()
    expect(hour.bucket_seconds).toBe(60)
    expect(hour.points.at(-1).hashrate_ths).toBeGreaterThan(0)
    expect((await call(owner, 'GET', `/api/history?range=24h&miner_id=${miners[0]}`)).json().points).toEqual([])
    expect(await runRetention(api.app.knex, new Date(Date.now() + 10 * 60_000))).toBe(true)
    const day = (await call(owner, 'GET', `/api/history?range=24h&miner_id=${miners[0]}`)).json()
    expect(day.points).toHaveLength(1)
    expect(day.points[0].hashrate_ths).toBe(110)
    expect((await call(owner, 'GET', `/api/history?range=1h`)).statusCode).toBe(400)
  })
})

describe('retention', () => {
  test('drops raw samples after 48 hours but keeps their rollups', async () => {
    const old = new Date(Date.now() - 50 * 3_600_000)
    await push([sample(miners[0]!, old, { hashrate_ths: 42 })])
    await api.app.knex('rollup_state').del()
    await runRetention(api.app.knex)
    expect(await api.app.knex('telemetry').where('at', '<', new Date(Date.now() - 48 * 3_600_000))).toHaveLength(0)
    const rolled = await api.app.knex('telemetry_5m').where({ miner_id: miners[0] }).where('bucket', '<', new Date(Date.now() - 48 * 3_600_000))
    expect(rolled.map((r) => r.hashrate_ths_avg)).toEqual([42])
  })
})
