import assert from 'node:assert/strict'
import { createDeviceKeyPair, createRollbackGuard, encryptBlock, grantDataKey } from '../../e2ee/mod.ts'
import { startPoolApiSim } from '../../tests/sim/pool_api.ts'
import { BlockOpener } from '../block_opener.ts'
import { PASSPHRASE, TENANT, testKeyring } from '../testdata/miners.ts'
import { collectPoolStats, type PoolKeyEntry } from './collect.ts'

const DEVICE = '44444444-4444-4444-8444-444444444444'
const keyId = (n: number) => `55555555-5555-4555-8555-${String(n).padStart(12, '0')}`
const BRAIINS = { api_key: 'Qx81zzTk4Rb9vY', api_secret: '' }
const ANTPOOL = { api_key: 'Hc2LmV7qW3eX', api_secret: 'Pw93KdJx5Ns1', account: 'fx71sub0Ra' }

async function poolKey(n: number, pool: string, secret: object, subject = keyId(n)): Promise<PoolKeyEntry> {
  const { key } = await testKeyring()
  const block = await encryptBlock(key, secret, { tenantId: TENANT, kind: 'pool_api_key', subjectId: subject, counter: 1 })
  return { id: keyId(n), label: `key ${n}`, pool, scopes: ['read'], fingerprint: 'fp-1111-2222', version: 1, block }
}

/** An opener holding this device's grant: no passphrase, as on a granted edge. */
async function grantedOpener(): Promise<BlockOpener> {
  const { key } = await testKeyring()
  const pair = await createDeviceKeyPair()
  const opener = new BlockOpener({ tenantId: TENANT, guard: createRollbackGuard(), device: { id: DEVICE, privateKey: pair.privateKey } })
  opener.newRound(await grantDataKey(key, pair.publicKey, { tenantId: TENANT, deviceId: DEVICE }))
  return opener
}

/** True when `text` holds any 5 characters in a row of a secret. */
function leaks(text: string, secrets: string[]): boolean {
  return secrets.some((s) => [...Array(Math.max(0, s.length - 4)).keys()].some((i) => text.includes(s.slice(i, i + 5))))
}

Deno.test('collectPoolStats() decrypts each key with the grant, sends Braiins its token and Antpool a signed request, and normalizes both to TH/s', async () => {
  await using sim = startPoolApiSim({ braiins: [{ token: BRAIINS.api_key }], antpool: [{ userId: ANTPOOL.account, key: ANTPOOL.api_key, secret: ANTPOOL.api_secret }] })
  const keys = [await poolKey(1, 'Braiins Pool', BRAIINS), await poolKey(2, 'Antpool', ANTPOOL)]
  const bases = { braiins: sim.url, antpool: sim.url }
  const reports = await collectPoolStats(keys, { opener: await grantedOpener(), keyring: (await testKeyring()).wrapped, bases, paced: false })
  assert.deepEqual(reports.map((r) => [r.pool_key_id, r.error]), [[keyId(1), null], [keyId(2), null]])
  assert.deepEqual(reports[0].stats, {
    hashrate_ths: 27.978, hashrate_24h_ths: 28.357, workers_online: 2, workers_offline: 1, balance_btc: 0.015, last_share_at: '2025-12-01T10:04:55.000Z',
  })
  assert.deepEqual(reports[1].stats, {
    hashrate_ths: 127.603936523714, hashrate_24h_ths: 102.498704834436, workers_online: 2, workers_offline: 1, balance_btc: 0.00480411, last_share_at: null,
  })
  assert.deepEqual(sim.requests.map((r) => [r.path, r.status, r.code]), [
    ['/accounts/profile/json/btc/', 200, undefined], ['/accounts/workers/json/btc/', 200, undefined], ['/api/accountOverview.htm', 200, 0],
  ])
})

Deno.test('collectPoolStats() reports a key the pool refuses as auth, without a character of the key or secret, and still reports the others', async () => {
  await using sim = startPoolApiSim({ braiins: [{ token: 'the-real-token-000' }], antpool: [{ userId: ANTPOOL.account, key: ANTPOOL.api_key, secret: 'the-real-secret-000' }] })
  const keys = [
    await poolKey(1, 'Braiins Pool', BRAIINS),
    await poolKey(2, 'Antpool', ANTPOOL),
    await poolKey(3, 'antpool', { ...ANTPOOL, api_key: 'Ug5Tg8Wq2Zk' }),
    await poolKey(4, 'Slush Pool', { api_key: 'the-real-token-000' }),
  ]
  const reports = await collectPoolStats(keys, { opener: await grantedOpener(), keyring: null, bases: { braiins: sim.url, antpool: sim.url }, paced: false })
  assert.deepEqual(reports.map((r) => r.error?.kind ?? 'ok'), ['auth', 'auth', 'auth', 'ok'])
  assert.match(reports[0].error!.message, /^Cannot query Braiins Pool: the pool refused the key \(HTTP 401\)/)
  assert.match(reports[1].error!.message, /^Cannot query Antpool: the pool refused the key \(code -7, Signature Error\)/)
  assert.match(reports[2].error!.message, /\(code -6, API Key Error\)/)
  const text = JSON.stringify(reports)
  assert.ok(!leaks(text, [BRAIINS.api_key, ANTPOOL.api_key, ANTPOOL.api_secret, ANTPOOL.account, 'Ug5Tg8Wq2Zk']), text)
})

Deno.test('collectPoolStats() reports a pool that is down or too slow per key, within the deadline', async () => {
  const closed = startPoolApiSim()
  const down = closed.url
  await closed[Symbol.asyncDispose]()
  await using slow = startPoolApiSim({ delayMs: 1000, braiins: [{ token: BRAIINS.api_key }] })
  const keys = [await poolKey(1, 'Antpool', ANTPOOL), await poolKey(2, 'Braiins Pool', BRAIINS)]
  const started = Date.now()
  const reports = await collectPoolStats(keys, { opener: await grantedOpener(), keyring: null, bases: { antpool: down, braiins: slow.url }, timeoutMs: 200, paced: false })
  assert.ok(Date.now() - started < 900)
  assert.deepEqual(reports.map((r) => [r.error?.kind, r.error?.message]), [
    ['unreachable', 'Cannot query Antpool: the connection was refused'],
    ['timeout', 'Cannot query Braiins Pool: no answer within 200 ms'],
  ])
  assert.ok(!reports.some((r) => r.error!.message.includes('127.')))
})

Deno.test('collectPoolStats() reports keys it cannot use, each with its reason', async (t) => {
  const cases: [string, () => Promise<PoolKeyEntry>, BlockOpener | null, RegExp][] = [
    ['a block sealed for another key id', () => poolKey(1, 'Antpool', ANTPOOL, keyId(99)), null, /^Cannot decrypt pool_api_key block: .*another/],
    ['no grant and no passphrase', () => poolKey(2, 'Antpool', ANTPOOL), new BlockOpener({ tenantId: TENANT, guard: createRollbackGuard() }), /no passphrase given.*no key grant/],
    ['a wrong passphrase', () => poolKey(3, 'Antpool', ANTPOOL), new BlockOpener({ tenantId: TENANT, passphrase: `${PASSPHRASE}-not`, guard: createRollbackGuard() }), /cannot unlock the keyring/],
    ['a pool without a statistics API here', () => poolKey(4, 'Foundry USA', ANTPOOL), null, /^Cannot query pool 'Foundry USA': .*supported: Braiins Pool, Antpool/],
    ['an Antpool key without its account', () => poolKey(5, 'Antpool', { api_key: ANTPOOL.api_key, api_secret: ANTPOOL.api_secret }), null, /no account \(user id\); rotate it/],
    ['a block without an api_key', () => poolKey(6, 'Braiins Pool', { token: 'x' }), null, /holds no api_key/],
  ]
  for (const [name, make, opener, pattern] of cases) {
    await t.step(name, async () => {
      const [report] = await collectPoolStats([await make()], { opener: opener ?? await grantedOpener(), keyring: (await testKeyring()).wrapped, paced: false })
      assert.equal(report.stats, null)
      assert.match(report.error!.message, pattern)
      assert.ok(!leaks(report.error!.message, [ANTPOOL.api_key, ANTPOOL.api_secret, ANTPOOL.account]))
    })
  }
})

Deno.test('collectPoolStats() asks the pool sealed in the block, and reports a key the server relabelled as mismatch without asking any pool', async () => {
  await using sim = startPoolApiSim({ braiins: [{ token: BRAIINS.api_key }], antpool: [{ userId: ANTPOOL.account, key: ANTPOOL.api_key, secret: ANTPOOL.api_secret }] })
  const bases = { braiins: sim.url, antpool: sim.url }
  // The server turned an Antpool key into a "Braiins Pool" one: its key must not reach Braiins.
  const relabelled = await poolKey(1, 'Braiins Pool', { ...ANTPOOL, pool: 'Antpool' })
  const [report] = await collectPoolStats([relabelled], { opener: await grantedOpener(), keyring: null, bases, paced: false })
  assert.deepEqual(report.error, {
    kind: 'mismatch',
    message: "Cannot query the pool: the server labels this key 'Braiins Pool' but it was sealed for 'Antpool'; no pool was asked (correct the label, or rotate the key)",
  })
  assert.equal(sim.requests.length, 0, "no pool was asked")
  assert.ok(!leaks(JSON.stringify(report), [ANTPOOL.api_key, ANTPOOL.api_secret, ANTPOOL.account]))

  // Sealed and labelled alike, the key is used; a block sealed before pool names were follows the label.
  const keys = [await poolKey(2, 'Antpool', { ...ANTPOOL, pool: 'Antpool' }), await poolKey(3, 'Braiins Pool', BRAIINS)]
  const reports = await collectPoolStats(keys, { opener: await grantedOpener(), keyring: null, bases, paced: false })
  assert.deepEqual(reports.map((r) => r.error), [null, null])
  assert.deepEqual(sim.requests.map((r) => r.path), ['/api/accountOverview.htm', '/accounts/profile/json/btc/', '/accounts/workers/json/btc/'])
})
