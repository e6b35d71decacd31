import assert from 'node:assert/strict'
import { createDeviceKeyPair, encryptBlock, grantDataKey } from '../../e2ee/mod.ts'
import { startPoolApiSim } from '../../tests/sim/pool_api.ts'
import { startFakeApi } from '../testdata/fake_api.ts'
import { SITE, TENANT, testKeyring } from '../testdata/miners.ts'
import { tempStateDir } from '../testdata/temp_state.ts'
import { runPoolStats } from './start.ts'

const DEVICE = '44444444-4444-4444-8444-444444444444'
const KEY_ID = '55555555-5555-4555-8555-000000000001'
const TOKEN = 'Zr4Kq8Lw2Nx6Pb'

const keyId = (n: number) => `55555555-5555-4555-8555-${String(n).padStart(12, '0')}`

/** One Braiins key sealed with `token` (KEY_ID and TOKEN by default), or `extra` more. */
async function setUp(extra: { n: number; token: string; pool?: string }[] = []) {
  const { key, wrapped } = await testKeyring()
  const pair = await createDeviceKeyPair()
  const sealed = (id: string, token: string, counter: number) =>
    encryptBlock(key, { api_key: token, api_secret: '' }, { tenantId: TENANT, kind: 'pool_api_key', subjectId: id, counter })
  const entry = async (id: string, label: string, pool: string, token: string, counter = 1) =>
    ({ id, label, pool, scopes: ['read'], fingerprint: 'fp-1111-2222', version: 1, block: await sealed(id, token, counter) })
  return {
    pair, wrapped,
    grant: await grantDataKey(key, pair.publicKey, { tenantId: TENANT, deviceId: DEVICE }),
    poolKeys: [
      await entry(KEY_ID, 'Payout watcher', 'Braiins Pool', TOKEN, 3),
      ...await Promise.all(extra.map((e) => entry(keyId(1000 + e.n), `key ${e.n}`, e.pool ?? 'Braiins Pool', e.token))),
    ],
  }
}

const deviceFor = (url: string) => ({ api_url: url, device_id: DEVICE, tenant_id: TENANT, site_id: SITE, token: 'device-token' })

Deno.test('runPoolStats() sends each round as one batch, and a round the API could not take goes out again with the next', async () => {
  await using state = await tempStateDir()
  await using sim = startPoolApiSim({ braiins: [{ token: TOKEN }] })
  const { pair, wrapped, grant, poolKeys } = await setUp()
  await using api = startFakeApi({ keyring: wrapped, grant, poolKeys, poolStats: (n) => (n === 0 ? 503 : 200) })
  const lines: string[] = []
  await runPoolStats({
    device: deviceFor(api.url), stateDir: state.dir,
    devicePrivateKey: pair.privateKey, bases: { braiins: sim.url }, paced: false, intervalMs: 20, rounds: 2,
    signal: new AbortController().signal, log: (line) => lines.push(line),
  })
  const ids = api.poolStats.map((b) => b.batch_id)
  assert.equal(ids.length, 3)
  assert.equal(ids[0], ids[1])
  assert.notEqual(ids[1], ids[2])
  for (const batch of api.poolStats) {
    assert.deepEqual(batch.reports.map((r) => [r.pool_key_id, r.error, r.stats?.hashrate_ths]), [[KEY_ID, null, 27.978]])
  }
  assert.ok(lines.some((l) => /^Pool statistics: Cannot send pool statistics: HTTP 503.*; 1 pool statistics batches kept in the spool for later$/.test(l)), lines.join('\n'))
  assert.deepEqual(JSON.parse(Deno.readTextFileSync(`${state.dir}/pool_rollback.json`)).highest, { [JSON.stringify([TENANT, 'pool_api_key', KEY_ID])]: 3 })
  assert.ok(!lines.join('\n').includes(TOKEN.slice(0, 6)))
})

Deno.test('runPoolStats() reports a key the pool refuses in the batch and the log, and stops only when the device is revoked', async () => {
  await using state = await tempStateDir()
  await using sim = startPoolApiSim({ braiins: [{ token: 'another-token-entirely' }] })
  const { pair, wrapped, grant, poolKeys } = await setUp()
  await using api = startFakeApi({ keyring: wrapped, grant, poolKeys })
  const lines: string[] = []
  const device = deviceFor(api.url)
  const options = { stateDir: state.dir, devicePrivateKey: pair.privateKey, bases: { braiins: sim.url }, paced: false, signal: new AbortController().signal, log: (l: string) => lines.push(l) }
  await runPoolStats({ ...options, device, rounds: 1 })
  assert.deepEqual(api.poolStats[0].reports[0].error, { kind: 'auth', message: 'Cannot query Braiins Pool: the pool refused the key (HTTP 401); check it or rotate it' })
  assert.match(lines[0], /^Pool statistics: 0\/1 keys read; Payout watcher: Cannot query Braiins Pool: the pool refused the key/)

  await runPoolStats({ ...options, device: { ...device, token: 'revoked-token' } })
  assert.match(lines.at(-1)!, /^Pool statistics stopped: Cannot fetch pool keys: the API refused this device's token/)
})

Deno.test('runPoolStats() keeps unsent rounds on disk through restarts while the API is down, and delivers them, oldest first, once it is back', async () => {
  await using state = await tempStateDir()
  await using sim = startPoolApiSim({ braiins: [{ token: TOKEN }] })
  const { pair, wrapped, grant, poolKeys } = await setUp()
  await using api = startFakeApi({ keyring: wrapped, grant, poolKeys, poolStats: () => 503 })
  const lines: string[] = []
  const run = (rounds: number) => runPoolStats({
    device: deviceFor(api.url), stateDir: state.dir, devicePrivateKey: pair.privateKey, bases: { braiins: sim.url }, paced: false, intervalMs: 10, rounds,
    signal: new AbortController().signal, log: (line) => lines.push(line),
  })
  // Two rounds read while the API refuses them, then a restart with the API wholly down.
  await run(2)
  api.options.reads = () => 503
  await run(1)
  // Files are named <sequence>-<batch id>.json, so their sorted names give the rounds' order.
  const unsent = [...Deno.readDirSync(`${state.dir}/pool_spool`)].map((f) => f.name).sort().map((name) => name.slice(17, -5))
  assert.equal(unsent.length, 2)

  // A restart with the API back: both old rounds go out first, then the new one; the spool empties.
  api.options.reads = undefined
  api.options.poolStats = () => 200
  const seen = api.poolStats.length
  await run(1)
  const delivered = api.poolStats.slice(seen)
  assert.deepEqual(delivered.slice(0, 2).map((b) => b.batch_id), unsent)
  assert.equal(delivered.length, 3)
  assert.ok(!unsent.includes(delivered[2].batch_id))
  for (const batch of delivered) assert.deepEqual(batch.reports.map((r) => [r.pool_key_id, r.stats?.hashrate_ths]), [[KEY_ID, 27.978]])
  assert.deepEqual([...Deno.readDirSync(`${state.dir}/pool_spool`)], [])
})

Deno.test("runPoolStats() sends a key whose pool gave an out-of-range figure as that key's invalid error, and the round's other keys as read", async () => {
  await using state = await tempStateDir()
  // A last share 10^12 seconds after 1970 is no date the API accepts (year 33658).
  await using sim = startPoolApiSim({ braiins: [{ token: TOKEN }, { token: 'Wt6Hs3Qa9Lm2Xc', lastShares: [1e12] }] })
  const { pair, wrapped, grant, poolKeys } = await setUp([{ n: 1, token: 'Wt6Hs3Qa9Lm2Xc' }])
  await using api = startFakeApi({ keyring: wrapped, grant, poolKeys })
  await runPoolStats({
    device: deviceFor(api.url), stateDir: state.dir, devicePrivateKey: pair.privateKey, bases: { braiins: sim.url }, paced: false, rounds: 1,
    signal: new AbortController().signal, log: () => {},
  })
  assert.equal(api.poolStats.length, 1)
  const [good, bad] = api.poolStats[0].reports
  assert.deepEqual([good.pool_key_id, good.error, good.stats?.hashrate_ths], [KEY_ID, null, 27.978])
  assert.deepEqual(bad, {
    pool_key_id: keyId(1001), taken_at: bad.taken_at, stats: null,
    error: { kind: 'invalid', message: "Cannot report this key's statistics: the pool's answer has figures the API does not accept (stats/last_share_at)" },
  })
})

Deno.test('runPoolStats() sends a round of 600 keys as two batches (500 and 100), each key once', async () => {
  await using state = await tempStateDir()
  // A pool without a statistics API here: every key is opened and reported, no pool is asked.
  const { pair, wrapped, grant, poolKeys } = await setUp(Array.from({ length: 599 }, (_, n) => ({ n, token: `t${n}`, pool: 'Foundry USA' })))
  await using api = startFakeApi({ keyring: wrapped, grant, poolKeys })
  await runPoolStats({
    device: deviceFor(api.url), stateDir: state.dir, devicePrivateKey: pair.privateKey, paced: false, rounds: 1, signal: new AbortController().signal, log: () => {},
  })
  assert.deepEqual(api.poolStats.map((b) => b.reports.length), [500, 100])
  assert.notEqual(api.poolStats[0].batch_id, api.poolStats[1].batch_id)
  const ids = api.poolStats.flatMap((b) => b.reports.map((r) => r.pool_key_id))
  assert.deepEqual(new Set(ids), new Set(poolKeys.map((k) => k.id)))
  assert.equal(ids.length, 600)
})
