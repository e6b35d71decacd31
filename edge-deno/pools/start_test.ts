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

async function setUp() {
  const { key, wrapped } = await testKeyring()
  const pair = await createDeviceKeyPair()
  const block = await encryptBlock(key, { api_key: TOKEN, api_secret: '' }, { tenantId: TENANT, kind: 'pool_api_key', subjectId: KEY_ID, counter: 3 })
  return {
    pair, wrapped,
    grant: await grantDataKey(key, pair.publicKey, { tenantId: TENANT, deviceId: DEVICE }),
    poolKeys: [{ id: KEY_ID, label: 'Payout watcher', pool: 'Braiins Pool', scopes: ['read'], fingerprint: 'fp-1111-2222', version: 1, block }],
  }
}

Deno.test('runPoolStats() sends each round as one batch, and a round the API could not take goes out again with the next', async () => {
  await using state = await tempStateDir()
  await using sim = startPoolApiSim({ braiins: [{ token: TOKEN }] })
  const { pair, wrapped, grant, poolKeys } = await setUp()
  await using api = startFakeApi({ keyring: wrapped, grant, poolKeys, poolStats: (n) => (n === 0 ? 503 : 200) })
  const lines: string[] = []
  await runPoolStats({
    device: { api_url: api.url, device_id: DEVICE, tenant_id: TENANT, site_id: SITE, token: 'device-token' }, stateDir: state.dir,
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
  assert.ok(lines.some((l) => /HTTP 503.*trying again next round \(1 round\(s\) waiting\)/.test(l)), lines.join('\n'))
  assert.deepEqual(JSON.parse(Deno.readTextFileSync(`${state.dir}/pool_rollback.json`)).highest, { [JSON.stringify([TENANT, 'pool_api_key', KEY_ID])]: 3 })
  assert.ok(!lines.join('\n').includes(TOKEN.slice(0, 6)))
})

Deno.test('runPoolStats() reports a key the pool refuses in the batch and the log, and stops only when the device is revoked', async () => {
  await using state = await tempStateDir()
  await using sim = startPoolApiSim({ braiins: [{ token: 'another-token-entirely' }] })
  const { pair, wrapped, grant, poolKeys } = await setUp()
  await using api = startFakeApi({ keyring: wrapped, grant, poolKeys })
  const lines: string[] = []
  const device = { api_url: api.url, device_id: DEVICE, tenant_id: TENANT, site_id: SITE, token: 'device-token' }
  const options = { stateDir: state.dir, devicePrivateKey: pair.privateKey, bases: { braiins: sim.url }, paced: false, signal: new AbortController().signal, log: (l: string) => lines.push(l) }
  await runPoolStats({ ...options, device, rounds: 1 })
  assert.deepEqual(api.poolStats[0].reports[0].error, { kind: 'auth', message: 'Cannot query Braiins Pool: the pool refused the key (HTTP 401); check it or rotate it' })
  assert.match(lines[0], /^Pool statistics: 0\/1 keys read; Payout watcher: Cannot query Braiins Pool: the pool refused the key/)

  await runPoolStats({ ...options, device: { ...device, token: 'revoked-token' } })
  assert.match(lines.at(-1)!, /^Pool statistics stopped: Cannot fetch pool keys: the API refused this device's token/)
})
