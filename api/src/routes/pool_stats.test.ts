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
/** A time `minutes` before now: reports are refused when taken more than 5 minutes ahead of the server. */
const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString()
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
    const [earlier, taken, later] = [ago(65), ago(60), ago(55)]
    const first = { batch_id: randomUUID(), reports: [ok(keyA, taken), { pool_key_id: keyB, taken_at: taken, stats: null, error: { kind: 'auth', message: 'Cannot query Antpool: the pool refused the key (code -6, API Key Error)' } }] }
    const res = await send(first)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ batch_id: first.batch_id, accepted: 2, duplicate: false })
    const again = await send(first)
    expect(again.json()).toEqual({ batch_id: first.batch_id, accepted: 0, duplicate: true })
    expect(await counts()).toEqual({ stats: before.stats + 2, events: before.events + 2 })

    // A later batch for A replaces what the listing shows; an older one delivered late does not.
    await send({ batch_id: randomUUID(), reports: [ok(keyA, later, { hashrate_ths: 260 })] })
    await send({ batch_id: randomUUID(), reports: [ok(keyA, earlier, { hashrate_ths: 1 })] })
    const listed = (await req(owner, 'GET', '/api/pool-keys')).json().pool_keys
    const a = listed.find((k: { id: string }) => k.id === keyA)
    const b = listed.find((k: { id: string }) => k.id === keyB)
    expect(a.last_stats).toMatchObject({ taken_at: later, stats: figures({ hashrate_ths: 260 }), error: null })
    expect(b.last_stats).toMatchObject({ stats: null, error: { kind: 'auth', message: expect.stringContaining('refused the key') } })
    expect((await req(owner, 'GET', `/api/pool-keys/${keyA}`)).json().last_stats.stats.hashrate_ths).toBe(260)
  })

  test('publishes a pool.stats stream event that names the key and the ISO time (Z), not the figures', async () => {
    const takenAt = ago(30)
    const batch = { batch_id: randomUUID(), reports: [ok(keyA, takenAt)] }
    await send(batch)
    const event = await api.app.knex('stream_events').where({ type: 'pool.stats', tenant_id: owner.tenantId }).orderBy('seq', 'desc').first()
    expect(event.site_id).toBeNull()
    expect(event.data).toEqual({ pool_key_id: keyA, taken_at: takenAt, ok: true })
  })

  test.each([
    ['both stats and an error', (id: string) => ({ ...ok(id, ago(1)), error: { kind: 'auth', message: 'x' } })],
    ['neither stats nor an error', (id: string) => ({ ...ok(id, ago(1)), stats: null })],
    ['a key field in the figures', (id: string) => ({ ...ok(id, ago(1)), stats: { ...figures(), api_key: SECRET.api_key } })],
    ['a negative hashrate', (id: string) => ok(id, ago(1), { hashrate_ths: -1 })],
    ['an unknown error kind', (id: string) => ({ ...ok(id, ago(1)), stats: null, error: { kind: 'oops', message: 'x' } })],
    ['an address in the error message', (id: string) => ({ ...ok(id, ago(1)), stats: null, error: { kind: 'unreachable', message: 'Cannot reach 10.1.2.3' } })],
    ['a time that is not a timestamp', (id: string) => ok(id, 'yesterday')],
    ['a NUL in the error message', (id: string) => ({ ...ok(id, ago(1)), stats: null, error: { kind: 'server', message: 'Cannot query Antpool: \u0000' } })],
    ['a control character in the error message', (id: string) => ({ ...ok(id, ago(1)), stats: null, error: { kind: 'server', message: 'Cannot query \u001b[31mAntpool' } })],
    ['a time more than 5 minutes ahead of the server', (id: string) => ok(id, ago(-6))],
  ])('refuses %s with 400 and stores nothing', async (_name, report) => {
    const before = await counts()
    const res = await send({ batch_id: randomUUID(), reports: [report(keyA)] })
    expect(res.statusCode).toBe(400)
    expect(res.json().message).toMatch(/\S/)
    expect(await counts()).toEqual(before)
  })

  test("says why a report from the future is refused, and takes one within 5 minutes of the server's clock", async () => {
    const before = await counts()
    const ahead = await send({ batch_id: randomUUID(), reports: [ok(keyA, ago(-10))] })
    expect(ahead.statusCode).toBe(400)
    expect(ahead.json().message).toMatch(/^Cannot store pool statistics: the report of pool key .* more than 5 minutes after the server's time .*; check the edge device's clock$/)
    expect(await counts()).toEqual(before)
    expect((await send({ batch_id: randomUUID(), reports: [ok(keyA, ago(-4))] })).statusCode).toBe(200)
  })

  test('refuses a key reported twice in one batch, an empty batch and a missing batch id with 400', async () => {
    const before = await counts()
    expect((await send({ batch_id: randomUUID(), reports: [ok(keyA, ago(1)), ok(keyA, ago(1))] })).statusCode).toBe(400)
    expect((await send({ batch_id: randomUUID(), reports: [] })).statusCode).toBe(400)
    expect((await send({ reports: [ok(keyA, ago(1))] })).statusCode).toBe(400)
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
    const mixed = await send({ batch_id: randomUUID(), reports: [ok(keyA, ago(1)), ok(strangersKey, ago(1))] })
    expect(mixed.statusCode).toBe(403)
    expect((await send({ batch_id: randomUUID(), reports: [ok(randomUUID(), ago(1))] })).statusCode).toBe(403)
    expect((await send({ batch_id: randomUUID(), reports: [ok(keyA, ago(1))] }, 'not-a-device-token')).statusCode).toBe(401)
    const asOwner = await req(owner, 'POST', '/api/edge/pool-stats', { batch_id: randomUUID(), reports: [ok(keyA, ago(1))] })
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
