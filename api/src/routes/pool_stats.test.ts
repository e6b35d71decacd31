/** Pool statistics from the edge: stored once per batch, scoped to the device's tenant, shown in the owner's listing, never a key or secret. */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createKeyring, encryptBlock, type DataKey } from '../../../e2ee/mod.ts'
import { startTestApi, type Session, type TestApi } from '../../../tests/support/api.ts'

let api: TestApi
let owner: Session
let key: DataKey
let deviceToken: string
let keyA: string
let keyB: string
const SECRET = { api_key: 'braiins-token-UNIQUE-4471', api_secret: 'unused-secret-UNIQUE-8812' }

const req = (s: Session, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  api.app.inject({ method, url, headers: s.headers, ...(payload ? { payload } : {}) })
const send = (batch: object, token = deviceToken) =>
  api.app.inject({ method: 'POST', url: '/api/edge/pool-stats', headers: { authorization: `Bearer ${token}` }, payload: batch })
const figures = (patch: object = {}) => ({
  hashrate_ths: 251.5, hashrate_24h_ths: 248.25, workers_online: 2, workers_offline: 1, balance_btc: 0.0123, last_share_at: '2026-12-01T10:04:55.000Z', ...patch,
})
const ok = (poolKeyId: string, takenAt: string, patch: object = {}) => ({ pool_key_id: poolKeyId, taken_at: takenAt, stats: figures(patch), error: null })
const counts = async () => ({
  stats: Number((await api.app.knex('pool_key_stats').count({ n: '*' }).first())!.n),
  events: Number((await api.app.knex('stream_events').where({ type: 'pool.stats' }).count({ n: '*' }).first())!.n),
})

async function addPoolKey(s: Session, pool: string): Promise<string> {
  const id = randomUUID()
  const block = await encryptBlock(key, SECRET, { tenantId: s.tenantId, kind: 'pool_api_key', subjectId: id, counter: 1 })
  const res = await req(s, 'POST', '/api/pool-keys', { id, label: `${pool} watcher`, pool, scopes: ['read'], fingerprint: 'fp-1111-2222', block })
  expect(res.statusCode).toBe(201)
  return id
}

beforeAll(async () => {
  api = await startTestApi()
  owner = await api.register()
  const created = await createKeyring('pool-stats test passphrase', owner.tenantId)
  key = created.key
  await req(owner, 'PUT', '/api/keyring', { keyring: created.wrapped })
  const siteId = (await req(owner, 'POST', '/api/sites', { name: 'S' })).json().id
  const code = (await req(owner, 'POST', `/api/sites/${siteId}/devices`, { name: 'rig' })).json().enrollment_code
  deviceToken = (await api.app.inject({ method: 'POST', url: '/api/edge/enroll', payload: { code } })).json().token
  keyA = await addPoolKey(owner, 'Braiins Pool')
  keyB = await addPoolKey(owner, 'Antpool')
}, 60_000)
afterAll(() => api.close())

describe('POST /api/edge/pool-stats', () => {
  test("stores a batch once and the owner's listing shows each key's latest report", async () => {
    const before = await counts()
    const first = { batch_id: randomUUID(), reports: [ok(keyA, '2026-12-01T10:00:00.000Z'), { pool_key_id: keyB, taken_at: '2026-12-01T10:00:00.000Z', stats: null, error: { kind: 'auth', message: 'Cannot query Antpool: the pool refused the key (code -6, API Key Error)' } }] }
    const res = await send(first)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ batch_id: first.batch_id, accepted: 2, duplicate: false })
    const again = await send(first)
    expect(again.json()).toEqual({ batch_id: first.batch_id, accepted: 0, duplicate: true })
    expect(await counts()).toEqual({ stats: before.stats + 2, events: before.events + 2 })

    // A later batch for A replaces what the listing shows; an older one delivered late does not.
    await send({ batch_id: randomUUID(), reports: [ok(keyA, '2026-12-01T10:05:00.000Z', { hashrate_ths: 260 })] })
    await send({ batch_id: randomUUID(), reports: [ok(keyA, '2026-12-01T09:55:00.000Z', { hashrate_ths: 1 })] })
    const listed = (await req(owner, 'GET', '/api/pool-keys')).json().pool_keys
    const a = listed.find((k: { id: string }) => k.id === keyA)
    const b = listed.find((k: { id: string }) => k.id === keyB)
    expect(a.last_stats).toMatchObject({ taken_at: '2026-12-01T10:05:00.000Z', stats: figures({ hashrate_ths: 260 }), error: null })
    expect(b.last_stats).toMatchObject({ stats: null, error: { kind: 'auth', message: expect.stringContaining('refused the key') } })
    expect((await req(owner, 'GET', `/api/pool-keys/${keyA}`)).json().last_stats.stats.hashrate_ths).toBe(260)
  })

  test('publishes a pool.stats stream event that names the key and time, not the figures', async () => {
    const batch = { batch_id: randomUUID(), reports: [ok(keyA, '2026-12-01T11:00:00.000Z')] }
    await send(batch)
    const event = await api.app.knex('stream_events').where({ type: 'pool.stats', tenant_id: owner.tenantId }).orderBy('seq', 'desc').first()
    expect(event.site_id).toBeNull()
    expect(event.data).toEqual({ pool_key_id: keyA, taken_at: expect.stringMatching(/^2026-12-01T11:00:00/), ok: true })
  })

  test.each([
    ['both stats and an error', (id: string) => ({ ...ok(id, '2026-12-01T10:00:00Z'), error: { kind: 'auth', message: 'x' } })],
    ['neither stats nor an error', (id: string) => ({ ...ok(id, '2026-12-01T10:00:00Z'), stats: null })],
    ['a key field in the figures', (id: string) => ({ ...ok(id, '2026-12-01T10:00:00Z'), stats: { ...figures(), api_key: SECRET.api_key } })],
    ['a negative hashrate', (id: string) => ok(id, '2026-12-01T10:00:00Z', { hashrate_ths: -1 })],
    ['an unknown error kind', (id: string) => ({ ...ok(id, '2026-12-01T10:00:00Z'), stats: null, error: { kind: 'oops', message: 'x' } })],
    ['an address in the error message', (id: string) => ({ ...ok(id, '2026-12-01T10:00:00Z'), stats: null, error: { kind: 'unreachable', message: 'Cannot reach 10.1.2.3' } })],
    ['a time that is not a timestamp', (id: string) => ok(id, 'yesterday')],
  ])('refuses %s with 400 and stores nothing', async (_name, report) => {
    const before = await counts()
    const res = await send({ batch_id: randomUUID(), reports: [report(keyA)] })
    expect(res.statusCode).toBe(400)
    expect(res.json().message).toMatch(/\S/)
    expect(await counts()).toEqual(before)
  })

  test('refuses a key reported twice in one batch, an empty batch and a missing batch id with 400', async () => {
    const before = await counts()
    expect((await send({ batch_id: randomUUID(), reports: [ok(keyA, '2026-12-01T10:00:00Z'), ok(keyA, '2026-12-01T10:01:00Z')] })).statusCode).toBe(400)
    expect((await send({ batch_id: randomUUID(), reports: [] })).statusCode).toBe(400)
    expect((await send({ reports: [ok(keyA, '2026-12-01T10:00:00Z')] })).statusCode).toBe(400)
    expect(await counts()).toEqual(before)
  })

  test("a device may report only its own tenant's pool keys; people and unknown tokens may not report at all", async () => {
    const stranger = await api.register()
    const strangersKey = randomUUID()
    await api.app.knex('secret_blocks').insert({
      id: strangersKey, tenant_id: stranger.tenantId, kind: 'pool_api_key', label: 'theirs', pool: 'Antpool', fingerprint: 'fp-9999-0000',
      block: JSON.stringify({ version: 2 }), created_by: stranger.userId,
    })
    const before = await counts()
    const mixed = await send({ batch_id: randomUUID(), reports: [ok(keyA, '2026-12-01T12:00:00Z'), ok(strangersKey, '2026-12-01T12:00:00Z')] })
    expect(mixed.statusCode).toBe(403)
    expect((await send({ batch_id: randomUUID(), reports: [ok(randomUUID(), '2026-12-01T12:00:00Z')] })).statusCode).toBe(403)
    expect((await send({ batch_id: randomUUID(), reports: [ok(keyA, '2026-12-01T12:00:00Z')] }, 'not-a-device-token')).statusCode).toBe(401)
    const asOwner = await req(owner, 'POST', '/api/edge/pool-stats', { batch_id: randomUUID(), reports: [ok(keyA, '2026-12-01T12:00:00Z')] })
    expect(asOwner.statusCode).toBe(401)
    expect(await counts()).toEqual(before)
  })

  test('no table holds the pool key or secret in plaintext after reports', async () => {
    const tables: string[] = await api.app.knex('information_schema.tables').where({ table_schema: 'public', table_type: 'BASE TABLE' }).pluck('table_name')
    expect(tables).toContain('pool_key_stats')
    let dump = ''
    for (const table of tables) dump += JSON.stringify((await api.app.knex.raw(`SELECT t::text AS row FROM ${api.app.knex.raw('??', [table]).toQuery()} t`)).rows)
    expect(dump).toContain('refused the key')
    for (const secret of Object.values(SECRET)) expect(dump).not.toContain(secret)
  })
})
