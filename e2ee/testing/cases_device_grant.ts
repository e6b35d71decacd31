/** Cases for edge device key grants: vectors, round trips, and what a grant refuses. */
import assert from 'node:assert/strict'
import { base64ToBytes } from '../base64.ts'
import { createCryptoService } from '../crypto_service.ts'
import {
  createDeviceKeyPair, createKeyring, decryptBlock, deviceFingerprint, encryptBlock, grantDataKey, importDevicePrivateKey,
  InvalidBlockError, openDeviceGrant, unlockKeyring, UndecryptableGrantError,
} from '../mod.ts'
import vectors from '../vectors/device_grant.json' with { type: 'json' }
import keyringVectors from '../vectors/v2.json' with { type: 'json' }
import { flipBit, rejectsWith, type TestCase } from './case.ts'
import { replayRandom } from './doubles.ts'

const OPEN_FAILS = 'Cannot open device grant: it was made for another device, tenant or keyring, or is damaged'
const grantableKey = (v: (typeof vectors.grants)[number]) => createCryptoService().importDataKey(base64ToBytes(v.data_key), v.kid, v.tenant_id, true)
const contextOf = (v: (typeof vectors.grants)[number]) => ({ tenantId: v.tenant_id, deviceId: v.device_id })
const [first] = vectors.grants

/** A block made under `a` and one made under `b` with the same iv are equal exactly when the keys are. */
async function sameKey(a: Parameters<typeof encryptBlock>[0], b: Parameters<typeof encryptBlock>[0], tenantId: string): Promise<boolean> {
  const iv = new Uint8Array(12).fill(7)
  const context = { tenantId, kind: 'credentials', subjectId: 'probe', counter: 1 } as const
  const x = await encryptBlock(a, { probe: true }, context, { crypto: replayRandom([iv]) })
  const y = await encryptBlock(b, { probe: true }, context, { crypto: replayRandom([iv]) })
  return x.ciphertext === y.ciphertext
}

const vectorCases: TestCase[] = vectors.grants.flatMap((v) => [
  {
    name: `device grant vector "${v.name}": grantDataKey with its ephemeral key, salt and iv gives the exact grant`,
    fn: async () => {
      const crypto = replayRandom([base64ToBytes(v.salt), base64ToBytes(v.iv)])
      const grant = await grantDataKey(await grantableKey(v), v.device_public_key as never, contextOf(v), { crypto, ephemeralPrivateKeyJwk: v.ephemeral_private_key })
      assert.deepEqual(grant, v.grant)
    },
  },
  {
    name: `device grant vector "${v.name}": the device's private key opens it into the vector's data key, non-extractable`,
    fn: async () => {
      const opened = await openDeviceGrant(v.grant, await importDevicePrivateKey(v.device_private_key), contextOf(v))
      assert.equal(opened.cryptoKey.extractable, false)
      assert.equal(opened.kid, v.kid)
      assert.ok(await sameKey(opened, await grantableKey(v), v.tenant_id))
    },
  },
  {
    name: `device grant vector "${v.name}": deviceFingerprint gives ${v.fingerprint}`,
    fn: async () => {
      assert.equal(await deviceFingerprint(v.device_public_key as never), v.fingerprint)
      assert.match(v.fingerprint, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/)
    },
  },
])

export const deviceGrantCases: TestCase[] = [
  ...vectorCases,
  {
    name: 'a fresh device opens its grant and decrypts a block written under the granted key',
    fn: async () => {
      const device = await createDeviceKeyPair()
      assert.equal(device.privateKey.extractable, false)
      assert.equal(device.privateKeyJwk, undefined)
      const dataKey = await createCryptoService().importDataKey(new Uint8Array(32).fill(3), 'AAAAAAAAAAAAAAAAAAAAAA', 'tenant-1', true)
      const block = await encryptBlock(dataKey, { password: 'hunter2' }, { tenantId: 'tenant-1', kind: 'credentials', subjectId: 'm1', counter: 1 })
      const grant = await grantDataKey(dataKey, device.publicKey, { tenantId: 'tenant-1', deviceId: 'd1' })
      const opened = await openDeviceGrant(grant, device.privateKey, { tenantId: 'tenant-1', deviceId: 'd1' })
      assert.deepEqual(await decryptBlock(opened, block, { tenantId: 'tenant-1', kind: 'credentials', subjectId: 'm1' }), { password: 'hunter2' })
    },
  },
  {
    name: 'an exported device key pair persists as a JWK and imports back as a working, non-extractable key',
    fn: async () => {
      const device = await createDeviceKeyPair({ exportPrivate: true })
      assert.equal(device.privateKey.extractable, false)
      assert.equal(typeof device.privateKeyJwk?.d, 'string')
      const key = await grantableKey(first!)
      const grant = await grantDataKey(key, device.publicKey, contextOf(first!))
      const restored = await importDevicePrivateKey(JSON.parse(JSON.stringify(device.privateKeyJwk)))
      assert.ok(await sameKey(await openDeviceGrant(grant, restored, contextOf(first!)), key, first!.tenant_id))
    },
  },
  {
    name: 'a grant does not open for another device id, another tenant, another device key, or with a bit flipped',
    fn: async () => {
      const privateKey = await importDevicePrivateKey(first!.device_private_key)
      const ctx = contextOf(first!)
      await rejectsWith(() => openDeviceGrant(first!.grant, privateKey, { ...ctx, deviceId: 'device-other' }), UndecryptableGrantError, OPEN_FAILS)
      await rejectsWith(() => openDeviceGrant(first!.grant, privateKey, { ...ctx, tenantId: 'tenant-other' }), UndecryptableGrantError, OPEN_FAILS)
      const stranger = (await createDeviceKeyPair()).privateKey
      await rejectsWith(() => openDeviceGrant(first!.grant, stranger, ctx), UndecryptableGrantError, OPEN_FAILS)
      await rejectsWith(() => openDeviceGrant({ ...first!.grant, ciphertext: flipBit(first!.grant.ciphertext, 9) }, privateKey, ctx), UndecryptableGrantError, OPEN_FAILS)
      await rejectsWith(() => openDeviceGrant({ ...first!.grant, kid: 'BBBBBBBBBBBBBBBBBBBBBB' }, privateKey, ctx), UndecryptableGrantError, OPEN_FAILS)
    },
  },
  {
    name: 'a malformed grant is refused before any key agreement, naming the field',
    fn: async () => {
      const privateKey = await importDevicePrivateKey(first!.device_private_key)
      await rejectsWith(() => openDeviceGrant({ ...first!.grant, iv: 'short' }, privateKey, contextOf(first!)), InvalidBlockError, /^Cannot read device key grant: field iv/)
      await rejectsWith(() => openDeviceGrant({ ...first!.grant, extra: 1 }, privateKey, contextOf(first!)), InvalidBlockError, /unexpected extra/)
    },
  },
  {
    name: 'grantDataKey refuses a non-extractable data key and a key of another tenant',
    fn: async () => {
      const device = await createDeviceKeyPair()
      const locked = await createCryptoService().importDataKey(new Uint8Array(32), 'AAAAAAAAAAAAAAAAAAAAAA', 't1')
      await assert.rejects(grantDataKey(locked, device.publicKey, { tenantId: 't1', deviceId: 'd' }), /grantable: true/)
      const open = await createCryptoService().importDataKey(new Uint8Array(32), 'AAAAAAAAAAAAAAAAAAAAAA', 't1', true)
      await assert.rejects(grantDataKey(open, device.publicKey, { tenantId: 't2', deviceId: 'd' }), /another tenant/)
    },
  },
  {
    name: 'unlockKeyring and createKeyring give an extractable key only when asked for a grantable one',
    timeout: 60_000,
    fn: async () => {
      const v = keyringVectors.keyrings[0]!
      assert.equal((await unlockKeyring(v.wrapped, v.passphrase, v.tenant_id)).cryptoKey.extractable, false)
      assert.equal((await unlockKeyring(v.wrapped, v.passphrase, v.tenant_id, { grantable: true })).cryptoKey.extractable, true)
      assert.equal((await createKeyring('pass phrase here', 't1', { grantable: true })).key.cryptoKey.extractable, true)
    },
  },
]
