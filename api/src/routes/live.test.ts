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

  test('GET /api/live counts a miner with two open alerts once', async () => {
    const [extra] = await api.app.knex('alerts').insert({ tenant_id: owner.tenantId, site_id: siteA, miner_id: miners[2], type: 'reject_rate', value: 0.5, threshold: 0.02, raised_at: new Date() }).returning('id')
    try {
      expect((await call(owner, 'GET', '/api/live')).json().totals).toMatchObject({ miners: 4, online: 2, alerting: 2, hashrate_ths: 200 })
    } finally {
      await api.app.knex('alerts').where({ id: extra.id }).delete()
    }
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

describe('ingest: one batch, many samples of a miner', () => {
  test("a miner's text with tabs, line breaks, backslashes and quotes is stored exactly as sent", async () => {
    const error = { kind: 'invalid', message: 'Cannot read reply:\tline 1\nline 2\r\n C:\\path "quoted" \\N' }
    const warnings = ['fan\t1 \\ slow', '{"braces",}']
    const at = new Date(Date.now() - 500)
    expect((await push([sample(miners[0]!, at, { online: false, hashrate_ths: null, error, warnings, model: 'S19\\j Pro', firmware: 'tab\there' })])).statusCode).toBe(200)
    const row = await api.app.knex('telemetry').where({ miner_id: miners[0], at }).first('detail')
    expect(row.detail).toMatchObject({ error, warnings, model: 'S19\\j Pro', firmware: 'tab\there' })
  })

  test('samples apply in time order, whatever their order and offset in the batch', async () => {
    const t = Date.now() + 60_000
    // Listed newest first; the later sample (+02:00 offset, same instant order) must win.
    const late = new Date(t + 2000)
    const lateWithOffset = new Date(late.getTime() + 2 * 3600_000).toISOString().replace('Z', '+02:00')
    expect((await push([sample(miners[0]!, new Date(0), { at: lateWithOffset, hashrate_ths: 120 }), sample(miners[0]!, new Date(t), { hashrate_ths: 80 })])).statusCode).toBe(200)
    const live = (await call(owner, 'GET', `/api/sites/${siteA}/live`)).json()
    expect(live.miners.find((m: { miner_id: string }) => m.miner_id === miners[0]).hashrate_ths).toBe(120)
  })

  test('an alert raised and cleared within one batch is kept, closed, with both events', async () => {
    const t = Date.now() + 120_000
    const before = await api.app.knex('stream_events').max('seq as seq').first()
    expect((await push([
      sample(miners[0]!, new Date(t), { chip_temps_c: [120] }), // above the site's limit of 99 set above
      sample(miners[0]!, new Date(t + 1000), { chip_temps_c: [70] }),
    ])).statusCode).toBe(200)
    const rows = await api.app.knex('alerts').where({ miner_id: miners[0], type: 'temperature' })
    expect(rows).toHaveLength(1)
    expect(rows[0].cleared_at).not.toBeNull()
    const events = await api.app.knex('stream_events').where('seq', '>', before!.seq).orderBy('seq').pluck('type')
    expect(events).toEqual(['telemetry', 'alert.raised', 'alert.cleared'])
  })

  test('concurrent batches of one site apply one after another: every one is stored and an alert is raised once', async () => {
    const fresh = (await call(owner, 'POST', `/api/sites/${siteA}/miners`, { name: 'racy', ip_address: '10.0.0.8' })).json().id
    const t = Date.now() + 180_000
    const offline = (i: number) => sample(fresh, new Date(t + i * 1000), { online: false, hashrate_ths: null, power_w: null, chip_temps_c: [] })
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => push([offline(i)])))
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200, 200])
    expect(await api.app.knex('alerts').where({ miner_id: fresh, type: 'offline' })).toHaveLength(1)
    expect(await api.app.knex('telemetry').where({ miner_id: fresh })).toHaveLength(6)
    await api.app.knex('alerts').where({ miner_id: fresh }).delete()
    await api.app.knex('miner_live').where({ miner_id: fresh }).delete()
    await api.app.knex('telemetry').where({ miner_id: fresh }).delete()
    await api.app.knex('hosting_miners').where({ id: fresh }).delete()
  })

  test('a batch sent again after its miners were removed is still answered as a duplicate', async () => {
    const extra = (await call(owner, 'POST', `/api/sites/${siteA}/miners`, { name: 'gone', ip_address: '10.0.0.9' })).json().id
    const batch = { batch_id: randomUUID(), samples: [sample(extra, new Date())] }
    const send = () => api.app.inject({ method: 'POST', url: '/api/edge/telemetry', headers: { authorization: `Bearer ${device}` }, payload: batch })
    expect((await send()).json()).toMatchObject({ accepted: 1, duplicate: false })
    await api.app.knex('miner_live').where({ miner_id: extra }).delete()
    await api.app.knex('telemetry').where({ miner_id: extra }).delete()
    await api.app.knex('hosting_miners').where({ id: extra }).delete()
    expect((await send()).json()).toMatchObject({ accepted: 0, duplicate: true })
    // A new batch naming it is refused, and leaves no claim behind.
    const fresh = { batch_id: randomUUID(), samples: [sample(extra, new Date())] }
    expect((await api.app.inject({ method: 'POST', url: '/api/edge/telemetry', headers: { authorization: `Bearer ${device}` }, payload: fresh })).statusCode).toBe(403)
    expect(await api.app.knex('telemetry_batches').where({ batch_id: fresh.batch_id }).first()).toBeUndefined()
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

  test('keeps raw samples and rollups for the configured hours and days', async () => {
    const tenHoursAgo = new Date(Date.now() - 10 * 3_600_000)
    await push([sample(miners[1]!, tenHoursAgo, { hashrate_ths: 7 })])
    await api.app.knex('rollup_state').del()
    await runRetention(api.app.knex, new Date(), { rawHours: 12, rollupDays: 90 })
    expect(await api.app.knex('telemetry').where({ miner_id: miners[1], at: tenHoursAgo })).toHaveLength(1)
    await runRetention(api.app.knex, new Date(), { rawHours: 8, rollupDays: 90 })
    expect(await api.app.knex('telemetry').where({ miner_id: miners[1], at: tenHoursAgo })).toHaveLength(0)
    expect(await api.app.knex('telemetry_5m').where({ miner_id: miners[1] }).where('bucket', '<=', tenHoursAgo)).toHaveLength(1)
    // Old rollups go after rollupDays (8 days here); the 50-hour-old one above stays.
    await api.app.knex('telemetry_5m').insert({ miner_id: miners[1], tenant_id: owner.tenantId, site_id: siteA, bucket: new Date(Date.now() - 9 * 86_400_000), samples: 1, online_samples: 1 })
    await runRetention(api.app.knex, new Date(), { rawHours: 8, rollupDays: 8 })
    expect(await api.app.knex('telemetry_5m').where('bucket', '<', new Date(Date.now() - 8 * 86_400_000))).toHaveLength(0)
    expect(await api.app.knex('telemetry_5m').where({ miner_id: miners[0] }).where('bucket', '<', new Date(Date.now() - 48 * 3_600_000))).toHaveLength(1)
    await expect(runRetention(api.app.knex, new Date(), { rawHours: 6, rollupDays: 90 })).rejects.toThrow(/more than 6 hours/)
  })
})
