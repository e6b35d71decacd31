import assert from 'node:assert/strict'
import { createDeviceKeyPair, createRollbackGuard, grantDataKey } from '../e2ee/mod.ts'
import { openRollbackGuard } from './state.ts'
import { MinerResolver } from './targets.ts'
import { CREDS, minerId, PASSPHRASE, planA, planAWithCreds, planB, TENANT, testKeyring } from './testdata/miners.ts'
import { tempStateDir } from './testdata/temp_state.ts'

const resolver = (passphrase: string | null = PASSPHRASE, guard = createRollbackGuard()) => new MinerResolver({ tenantId: TENANT, passphrase: passphrase ?? undefined, guard })

Deno.test('MinerResolver opens v1 and v2 credentials and Plan B connections into poll targets', async () => {
  const { wrapped } = await testKeyring()
  const miners = [
    await planAWithCreds(1, '127.3.0.1', 4029, { v1: true }),
    await planAWithCreds(2, '127.3.0.2', 4030),
    await planB(3, { ip_address: '127.3.0.3', port: 4031, username: 'fullmode-user', password: 'fullmode-pw' }),
    await planB(4, { ip_address: '127.3.0.4' }),
    planA(5, '127.3.0.5', null),
  ]
  const { targets, unpolled } = await resolver().resolve(miners, wrapped)
  assert.deepEqual(unpolled, [])
  assert.deepEqual(targets.map((t) => [t.id, t.address.hostname, t.address.port]), [
    [minerId(1), '127.3.0.1', 4029], [minerId(2), '127.3.0.2', 4030], [minerId(3), '127.3.0.3', 4031], [minerId(4), '127.3.0.4', 4028], [minerId(5), '127.3.0.5', 4028],
  ])
  assert.deepEqual(targets[0].credentials, CREDS)
  assert.deepEqual(targets[1].credentials, CREDS)
  assert.deepEqual(targets[2].credentials, { username: 'fullmode-user', password: 'fullmode-pw' })
  assert.equal(targets[4].credentials, null)
})

Deno.test('MinerResolver refuses a block swapped from another miner and still resolves the others', async () => {
  const { wrapped } = await testKeyring()
  const a = await planAWithCreds(1, '127.3.0.1', 4028)
  const b = await planB(2, { ip_address: '127.3.0.2' })
  const c = await planB(3, { ip_address: '127.3.0.3' })
  const swapped = { ...c, encrypted_connection_full: b.encrypted_connection_full }
  const stolenCreds = { ...planA(4, '127.3.0.4'), encrypted_credentials: a.encrypted_credentials }
  const { targets, unpolled } = await resolver().resolve([a, b, swapped, stolenCreds], wrapped)
  assert.deepEqual(targets.map((t) => t.id), [minerId(1), minerId(2)])
  assert.deepEqual(unpolled.map((u) => [u.id, u.kind]), [[minerId(3), 'decrypt'], [minerId(4), 'decrypt']])
  assert.match(unpolled[0].message, /^Cannot decrypt connection_full block: .*belongs to another miner/)
  assert.match(unpolled[1].message, /^Cannot decrypt credentials block: .*belongs to another miner/)
  assert.ok(!unpolled.some((u) => u.message.includes('127.3')))
})

Deno.test('MinerResolver refuses a rolled-back counter, and the guard remembers it across a restart', async () => {
  await using state = await tempStateDir()
  const { wrapped } = await testKeyring()
  const current = await planB(1, { ip_address: '127.3.0.1' }, 5)
  const before = await resolver(PASSPHRASE, await openRollbackGuard(state.dir)).resolve([current], wrapped)
  assert.equal(before.targets.length, 1)
  assert.deepEqual(JSON.parse(Deno.readTextFileSync(`${state.dir}/rollback.json`)).highest, { [JSON.stringify([TENANT, 'connection_full', minerId(1)])]: 5 })

  // A restart: a fresh resolver and a guard read back from disk.
  const afterRestart = resolver(PASSPHRASE, await openRollbackGuard(state.dir))
  const stale = await planB(1, { ip_address: '127.3.0.99' }, 4)
  const other = await planB(2, { ip_address: '127.3.0.2' }, 1)
  const { targets, unpolled } = await afterRestart.resolve([stale, other], wrapped)
  assert.deepEqual(targets.map((t) => t.id), [minerId(2)])
  assert.deepEqual(unpolled, [{
    id: minerId(1), name: 'miner-1', kind: 'decrypt',
    message: 'Cannot accept connection_full block: older than the copy you already have (counter 4 < 5)',
  }])
  // The same counter again is fine: it is the copy already accepted.
  assert.equal((await afterRestart.resolve([current], wrapped)).targets.length, 1)
})

Deno.test('MinerResolver refuses a v1 block served where a v2 block was already accepted', async () => {
  const { wrapped } = await testKeyring()
  const guard = createRollbackGuard()
  await resolver(PASSPHRASE, guard).resolve([await planAWithCreds(1, '127.3.0.1', 4028, { counter: 3 })], wrapped)
  const downgraded = await planAWithCreds(1, '127.3.0.1', 4028, { v1: true })
  const { unpolled } = await resolver(PASSPHRASE, guard).resolve([downgraded], wrapped)
  assert.equal(unpolled.length, 1)
  assert.match(unpolled[0].message, /version 1 block replaces the version 2 block already accepted \(counter 3\); refused as a rollback/)
})

Deno.test('MinerResolver with a wrong passphrase gives every encrypted miner one clear error and polls the plain ones', async () => {
  const { wrapped } = await testKeyring()
  const miners = [await planAWithCreds(1, '127.3.0.1', 4028), await planB(2, { ip_address: '127.3.0.2' }), await planB(3, { ip_address: '127.3.0.3' }), planA(4, '127.3.0.4')]
  const started = performance.now()
  const { targets, unpolled } = await resolver('not the passphrase').resolve(miners, wrapped)
  const elapsed = performance.now() - started
  assert.deepEqual(targets.map((t) => t.id), [minerId(4)])
  assert.deepEqual(unpolled.map((u) => u.message), [
    'Cannot decrypt credentials block: cannot unlock the keyring: wrong passphrase or damaged data',
    'Cannot decrypt connection_full block: cannot unlock the keyring: wrong passphrase or damaged data',
    'Cannot decrypt connection_full block: cannot unlock the keyring: wrong passphrase or damaged data',
  ])
  // One unlock attempt (one 600 000-round PBKDF2), not one per miner.
  const oneUnlock = performance.now()
  await resolver('not the passphrase either').resolve([miners[0]], wrapped)
  assert.ok(elapsed < (performance.now() - oneUnlock) * 2.5, `${elapsed} ms for 3 miners`)

  const v1 = await planAWithCreds(5, '127.3.0.5', 4028, { v1: true })
  const [wrong] = (await resolver('not the passphrase').resolve([v1], wrapped)).unpolled
  assert.equal(wrong.message, 'Cannot decrypt credentials block: wrong passphrase or damaged data')
})

Deno.test('MinerResolver reports miners it cannot poll as config or decrypt errors without stopping', async (t) => {
  const { wrapped } = await testKeyring()
  const cases = [
    { name: 'Plan A without an address', miner: planA(1, null), kind: 'config', message: /has no address/ },
    { name: 'Plan B without a block', miner: { ...planA(1, null), use_full_e2ee: true }, kind: 'config', message: /no encrypted connection/ },
    { name: 'Plan B block without ip_address', miner: await planB(1, { port: 4028 }), kind: 'config', message: /encrypted connection has no ip_address/ },
    { name: 'Plan B block with a bad port', miner: await planB(1, { ip_address: '127.3.0.1', port: 70000 }), kind: 'config', message: /no valid port/ },
    { name: 'malformed block', miner: { ...planA(1, '127.3.0.1'), encrypted_credentials: { version: 2, iv: 'x' } }, kind: 'decrypt', message: /^Cannot decrypt credentials block: / },
    { name: 'unknown version', miner: { ...planA(1, '127.3.0.1'), encrypted_credentials: { version: 9 } }, kind: 'decrypt', message: /unknown block version/ },
  ] as const
  for (const c of cases) {
    await t.step(c.name, async () => {
      const { targets, unpolled } = await resolver().resolve([c.miner, planA(2, '127.3.0.2')], wrapped)
      assert.deepEqual(targets.map((x) => x.id), [minerId(2)])
      assert.equal(unpolled[0].kind, c.kind)
      assert.match(unpolled[0].message, c.message)
    })
  }
  await t.step('no passphrase', async () => {
    const { unpolled } = await resolver(null).resolve([await planB(1, { ip_address: '127.3.0.1' })], wrapped)
    assert.match(unpolled[0].message, /no passphrase given \(set HASHINSIGHT_PASSPHRASE or --passphrase-file\)/)
  })
  await t.step('v2 block but no keyring', async () => {
    const { unpolled } = await resolver().resolve([await planB(1, { ip_address: '127.3.0.1' })], null)
    assert.match(unpolled[0].message, /the tenant has no keyring/)
  })
})

Deno.test('MinerResolver uses the device key grant for v2 blocks without a passphrase, and says when it cannot', async () => {
  const { wrapped, key } = await testKeyring()
  const device = await createDeviceKeyPair()
  const context = { tenantId: TENANT, deviceId: 'device-1' }
  const granted = new MinerResolver({ tenantId: TENANT, guard: createRollbackGuard(), device: { id: 'device-1', privateKey: device.privateKey } })
  const miners = [await planB(1, { ip_address: '127.3.0.1' }), await planAWithCreds(2, '127.3.0.2', 4028, { v1: true })]
  const grant = await grantDataKey(key, device.publicKey, context)
  const { targets, unpolled } = await granted.resolve(miners, wrapped, grant)
  assert.deepEqual(targets.map((t) => [t.id, t.address.hostname]), [[minerId(1), '127.3.0.1']])
  // v1 blocks were never under the data key: they still need the passphrase.
  assert.deepEqual(unpolled.map((u) => u.id), [minerId(2)])
  assert.match(unpolled[0]!.message, /no passphrase given/)

  const stale = await granted.resolve(miners.slice(0, 1), wrapped, { ...grant, kid: 'BBBBBBBBBBBBBBBBBBBBBB' })
  assert.match(stale.unpolled[0]!.message, /key grant is for another keyring/)
  const forOther = await grantDataKey(key, device.publicKey, { ...context, deviceId: 'device-2' })
  const wrong = await granted.resolve(miners.slice(0, 1), wrapped, forOther)
  assert.match(wrong.unpolled[0]!.message, /^Cannot decrypt connection_full block: .*made for another device/)
})
