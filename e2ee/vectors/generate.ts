/**
 * Writes the known-answer vectors. Run once, review, commit the output:
 *   npx tsx e2ee/vectors/generate.ts v1 > e2ee/vectors/v1.json
 *   npx tsx e2ee/vectors/generate.ts v2 > e2ee/vectors/v2.json
 *   npx tsx e2ee/vectors/generate.ts grant > e2ee/vectors/device_grant.json
 * Every runtime's tests then check the implementation against these files, and the
 * Python interop test checks v1 against an independent implementation.
 * It prints instead of writing files so it needs no runtime-specific I/O.
 */
import { base64ToBytes, base64UrlToBytes, bytesToBase64, bytesToBase64Url } from '../base64.ts'
import { createCryptoService } from '../crypto_service.ts'
import { createDeviceKeyPair, createKeyring, deviceFingerprint, encryptBlock, encryptObject, grantDataKey } from '../mod.ts'
import { replayRandom } from '../testing/doubles.ts'

// Fixed byte patterns, so the inputs are readable and the outputs reproducible.
const bytes = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (seed + i * 37) & 0xff)
const b64 = (length: number, seed: number) => bytesToBase64(bytes(length, seed))

const inputs = [
  { name: 'ascii', passphrase: 'correct horse battery staple', tenant_id: 'tenant-0001', subject_id: '1042',
    plaintext: { ip_address: '192.168.1.20', port: 4028, username: 'root', password: 'root', pool_url: 'stratum+tcp://pool.example.com:3333', pool_user: 'acct.worker1', pool_password: 'x' } },
  { name: 'utf8', passphrase: 'Pässwörter für Grüße – 日本語のパスフレーズ', tenant_id: 'mandant-ü', subject_id: 'mineur-é-7',
    plaintext: { username: 'opérateur', password: 'contraseña-ñ-Ω', pool_password: '密码' } },
  { name: 'emoji', passphrase: '🔐 mining 🐉🚀 night-shift 👷🏽‍♀️', tenant_id: '🏭-farm', subject_id: '⛏️-42',
    plaintext: { username: 'rig👷', password: '🔑🔑 p4ss 🎉', note: 'surrogates 𝄞 and ZWJ 👨‍👩‍👧' } },
]

async function v1() {
  const vectors = []
  for (const [i, input] of inputs.entries()) {
    const salt = b64(16, 11 + i), iv = b64(12, 101 + i)
    const crypto = replayRandom([base64ToBytes(salt), base64ToBytes(iv)])
    const block = await encryptObject(input.plaintext, input.passphrase, { crypto })
    vectors.push({ name: input.name, passphrase: input.passphrase, salt, iv, plaintext: input.plaintext, block })
  }
  return { format: 'e2ee v1 (seed)', kdf: 'PBKDF2-HMAC-SHA256, 100000 iterations', vectors }
}

async function v2() {
  const keyrings = [], blocks = []
  const kinds = ['credentials', 'connection_full', 'pool_api_key'] as const
  for (const [i, input] of inputs.entries()) {
    const data_key = b64(32, 201 + i), kid = bytesToBase64Url(bytes(16, 51 + i))
    const salt = b64(16, 151 + i), iv = b64(12, 171 + i)
    const random = [base64ToBytes(data_key), base64UrlToBytes(kid), base64ToBytes(salt), base64ToBytes(iv)]
    const { wrapped } = await createKeyring(input.passphrase, input.tenant_id, { crypto: replayRandom(random) })
    keyrings.push({ name: input.name, passphrase: input.passphrase, tenant_id: input.tenant_id, data_key, salt, iv, wrapped })

    const key = await createCryptoService().importDataKey(base64ToBytes(data_key), kid, input.tenant_id)
    const context = { tenantId: input.tenant_id, kind: kinds[i]!, subjectId: input.subject_id, counter: 1 + i * 41 }
    const blockIv = b64(12, 191 + i)
    const block = await encryptBlock(key, input.plaintext, context, { crypto: replayRandom([base64ToBytes(blockIv)]) })
    blocks.push({ name: input.name, data_key, kid, tenant_id: input.tenant_id, kind: context.kind, subject_id: input.subject_id,
      counter: context.counter, iv: blockIv, aad: `e2ee/v2/block|${input.tenant_id}|${context.kind}|${input.subject_id}|${kid}|${context.counter}`,
      plaintext: input.plaintext, block })
  }
  return { format: 'e2ee v2 (keyring + blocks)', kdf: 'PBKDF2-HMAC-SHA256, 600000 iterations', keyrings, blocks }
}

// P-256 keys cannot be made from fixed bytes through WebCrypto, so the device and
// ephemeral key pairs are drawn fresh here and recorded: regenerating changes them.
async function grant() {
  const grants = []
  for (const [i, input] of inputs.entries()) {
    const data_key = b64(32, 221 + i), kid = bytesToBase64Url(bytes(16, 61 + i))
    const device_id = `device-${input.subject_id}`
    const device = await createDeviceKeyPair({ exportPrivate: true })
    const ephemeral = await createDeviceKeyPair({ exportPrivate: true })
    const salt = b64(32, 121 + i), iv = b64(12, 141 + i)
    const key = await createCryptoService().importDataKey(base64ToBytes(data_key), kid, input.tenant_id, true)
    const context = { tenantId: input.tenant_id, deviceId: device_id }
    const crypto = replayRandom([base64ToBytes(salt), base64ToBytes(iv)])
    const made = await grantDataKey(key, device.publicKey, context, { crypto, ephemeralPrivateKeyJwk: ephemeral.privateKeyJwk })
    grants.push({ name: input.name, data_key, kid, tenant_id: input.tenant_id, device_id,
      device_private_key: device.privateKeyJwk, device_public_key: device.publicKey, fingerprint: await deviceFingerprint(device.publicKey),
      ephemeral_private_key: ephemeral.privateKeyJwk, salt, iv, info: `e2ee/v2/device-grant|${input.tenant_id}|${device_id}|${kid}`, grant: made })
  }
  return { format: 'e2ee v2 device key grant', alg: 'ECDH-P256+HKDF-SHA256+A256GCM', grants }
}

const which = (globalThis as { process?: { argv: string[] } }).process?.argv[2] ?? (globalThis as { Deno?: { args: string[] } }).Deno?.args[0]
const generators = { v1, v2, grant } as const
if (!(which && which in generators)) throw new Error('Cannot generate vectors: say which, v1, v2 or grant')
console.log(JSON.stringify(await generators[which as keyof typeof generators](), null, 2))
