/**
 * Pool statistics from the edge: stored once per batch, scoped to the device's tenant,
 * shown in the owner's listing; and, with the real edge reading the pool simulator
 * with keys sealed here, never a key, secret or account in any table.
 */
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createKeyring, encryptBlock, type DataKey } from '../../../e2ee/mod.ts'
import { startTestApi, type Session, type TestApi } from '../../../tests/support/api.ts'
import { databaseText } from '../../../tests/support/database_text.ts'
import { runEdge, startEdge, startPoolSimulator } from '../../../tests/support/processes.ts'

let api: TestApi
let owner: Session
let key: DataKey
let deviceToken: string
let keyA: string
let keyB: string
let siteId: string
const PASSPHRASE = 'pool-stats test passphrase'
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

async function addPoolKey(s: Session, pool: string, secret: object = SECRET): Promise<string> {
  const id = randomUUID()
  const block = await encryptBlock(key, secret, { tenantId: s.tenantId, kind: 'pool_api_key', subjectId: id, counter: 1 })
  const res = await req(s, 'POST', '/api/pool-keys', { id, label: `${pool} watcher`, pool, scopes: ['read'], fingerprint: 'fp-1111-2222', block })
  expect(res.statusCode).toBe(201)
  return id
}

beforeAll(async () => {
  api = await startTestApi()
  owner = await api.register()
  const created = await createKeyring(PASSPHRASE, owner.tenantId)
  key = created.key
  await req(owner, 'PUT', '/api/keyring', { keyring: created.wrapped })
  siteId = (await req(owner, 'POST', '/api/sites', { name: 'S' })).json().id
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
})

describe('an edge round with keys sealed on the owner\'s side', () => {
  // Real keys of the simulated pools: only the edge, after decrypting, may ever see them.
  const ANTPOOL = { api_key: 'ant-key-UNIQUE-3391', api_secret: 'ant-secret-UNIQUE-5527', account: 'antuserUNIQUE77' }
  const WRONG_SECRET = { ...ANTPOOL, api_secret: 'ant-wrong-UNIQUE-6640' }

  test('the edge CLI reads the pool simulator with them, and no table then holds a key, secret or account', async () => {
    const sim = await startPoolSimulator(['--port', '0', '--antpool', `${ANTPOOL.account}:${ANTPOOL.api_key}:${ANTPOOL.api_secret}`])
    const dir = await mkdtemp(join(tmpdir(), 'hashinsight-pool-stats-'))
    try {
      const working = await addPoolKey(owner, 'Antpool', { ...ANTPOOL, pool: 'Antpool' })
      const refused = await addPoolKey(owner, 'Antpool', { ...WRONG_SECRET, pool: 'Antpool' })
      const base = await api.app.listen({ port: 0, host: '127.0.0.1' })
      const passphraseFile = join(dir, 'passphrase')
      await writeFile(passphraseFile, `${PASSPHRASE}\n`, { mode: 0o600 })
      const code = (await req(owner, 'POST', `/api/sites/${siteId}/devices`, { name: 'pool rig' })).json().enrollment_code
      const stateDir = join(dir, 'state')
      expect((await runEdge(['enroll', code, '--api', base, '--state-dir', stateDir])).code).toBe(0)
      const edge = startEdge(['run', '--state-dir', stateDir, '--passphrase-file', passphraseFile, '--pool-api-base', `antpool=${sim.ready.url}`, '--pool-api-base', `braiins=${sim.ready.url}`])
      // One round reports every key of the tenant; wait for it (the listing may show a later-taken report for some).
      const startedAt = new Date()
      const tenantKeys = (await req(owner, 'GET', '/api/pool-keys')).json().pool_keys.length
      const reported = async () => Number((await api.app.knex('pool_key_stats').where('received_at', '>=', startedAt).countDistinct({ n: 'pool_key_id' }).first())!.n)
      for (let waited = 0; (await reported()) < tenantKeys && waited < 40_000; waited += 250) await new Promise((resolve) => setTimeout(resolve, 250))
      const keys: { id: string; last_stats: { stats: unknown; error: unknown } | null }[] = (await req(owner, 'GET', '/api/pool-keys')).json().pool_keys
      const { output } = await edge.stop()
      const by = new Map(keys.map((k) => [k.id, k.last_stats]))
      expect(by.get(working), output).toMatchObject({ error: null, stats: { workers_online: 2, balance_btc: 0.00480411 } })
      expect(by.get(refused)?.error).toEqual({ kind: 'auth', message: 'Cannot query Antpool: the pool refused the key (code -7, Signature Error); check it or rotate it' })

      const dump = await databaseText(api.app.knex, ['pool_key_stats', 'stream_events'])
      expect(dump).toContain('Signature Error')
      for (const secret of [...Object.values(SECRET), ...Object.values(ANTPOOL), WRONG_SECRET.api_secret]) {
        expect(dump, `a table holds ${secret}`).not.toContain(secret)
        expect(output, `the edge logged ${secret}`).not.toContain(secret)
      }
    } finally {
      await sim.stop()
      await rm(dir, { recursive: true, force: true })
    }
  }, 90_000)
})
