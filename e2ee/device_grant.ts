/**
 * Edge devices get the tenant's data key without the passphrase. The device makes an
 * ECDH P-256 key pair and shows a short fingerprint of its public key; the owner
 * compares it on their own device and grants the data key: an ephemeral ECDH key
 * agreement → HKDF-SHA256 (salt, info binding tenant, device and kid) → AES-256-GCM
 * wrap of the raw key with the same binding as AAD. The API stores the grant and can
 * open nothing; only the device's private key can.
 */
import { base64ToBytes, bytesToBase64, utf8 } from './base64.ts'
import { assertBlockContext } from './context.ts'
import { serviceFor, type CryptoKeyHandle, type DataKey, type WebCrypto } from './crypto_service.ts'
import { UndecryptableGrantError } from './errors.ts'
import { formatFingerprint, thumbprintInput } from './fingerprint.ts'
import type { DeviceKeyGrant, DevicePublicKey } from './schema.ts'
import { parseDeviceKeyGrant, parseDevicePublicKey } from './validate.ts'

const ECDH = { name: 'ECDH', namedCurve: 'P-256' } as const
const AES = { name: 'AES-GCM', length: 256 } as const
const ALG = 'ECDH-P256+HKDF-SHA256+A256GCM' as const

/** Where a grant belongs: the tenant and the device it was made for. */
export interface GrantContext {
  tenantId: string
  deviceId: string
}

/** Options of the device-grant functions. */
export interface DeviceGrantOptions {
  /** The WebCrypto to use (default `globalThis.crypto`); grantDataKey draws salt (32), then iv (12). */
  crypto?: WebCrypto
  /** Test vectors only: the ephemeral private key (JWK) instead of a fresh one. */
  ephemeralPrivateKeyJwk?: JsonWebKeyLike
}

/** A JWK as WebCrypto reads and writes it (named here so Node's tsconfig needs no DOM). */
export type JsonWebKeyLike = { kty?: string; crv?: string; x?: string; y?: string; d?: string; [k: string]: unknown }

/** A device's key pair. `privateKeyJwk` is present only when asked for, to be persisted. */
export interface DeviceKeyPair {
  publicKey: DevicePublicKey
  privateKey: CryptoKeyHandle
  privateKeyJwk?: JsonWebKeyLike
}

const publicPart = (jwk: JsonWebKeyLike): DevicePublicKey => parseDevicePublicKey({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y })

/**
 * Makes a device's ECDH P-256 key pair. The private key is non-extractable unless
 * `exportPrivate` (the edge, which must keep it on disk across restarts), in which
 * case its JWK is returned once and the handle itself is still non-extractable.
 */
export async function createDeviceKeyPair(options: { crypto?: WebCrypto; exportPrivate?: boolean } = {}): Promise<DeviceKeyPair> {
  const subtle = (options.crypto ?? globalThis.crypto).subtle
  const pair = await subtle.generateKey(ECDH, options.exportPrivate ?? false, ['deriveBits']) as { publicKey: CryptoKeyHandle; privateKey: CryptoKeyHandle }
  const publicKey = publicPart(await subtle.exportKey('jwk', pair.publicKey) as JsonWebKeyLike)
  if (!options.exportPrivate) return { publicKey, privateKey: pair.privateKey }
  const privateKeyJwk = await subtle.exportKey('jwk', pair.privateKey) as JsonWebKeyLike
  return { publicKey, privateKey: await importDevicePrivateKey(privateKeyJwk, options), privateKeyJwk }
}

/** Imports a persisted device private key (JWK) as a non-extractable ECDH key. */
export async function importDevicePrivateKey(jwk: JsonWebKeyLike, options: { crypto?: WebCrypto } = {}): Promise<CryptoKeyHandle> {
  return (options.crypto ?? globalThis.crypto).subtle.importKey('jwk', jwk as never, ECDH, false, ['deriveBits'])
}

/** The RFC 7638 thumbprint input of a (validated) device public key. */
export function canonicalPublicKey(key: DevicePublicKey): string {
  return thumbprintInput(parseDevicePublicKey(key))
}

/**
 * A short fingerprint a person can compare between two screens (see e2ee/fingerprint.ts).
 * @example await deviceFingerprint(publicKey) // "7K2Q-9D1M-X4TB-0HZR"
 */
export async function deviceFingerprint(publicKey: DevicePublicKey, options: { crypto?: WebCrypto } = {}): Promise<string> {
  return formatFingerprint(new Uint8Array(await (options.crypto ?? globalThis.crypto).subtle.digest('SHA-256', utf8(canonicalPublicKey(publicKey)))))
}

/** The binding of a grant, used as HKDF info and as AAD: `e2ee/v2/device-grant|<tenant>|<device>|<kid>`. */
function grantBinding(context: GrantContext, kid: string): Uint8Array<ArrayBuffer> {
  assertBlockContext({ tenantId: context.tenantId, subjectId: context.deviceId, kind: 'credentials' })
  return utf8(`e2ee/v2/device-grant|${context.tenantId}|${context.deviceId}|${kid}`)
}

async function wrappingKey(subtle: WebCrypto['subtle'], privateKey: CryptoKeyHandle, publicKey: CryptoKeyHandle, salt: Uint8Array<ArrayBuffer>, info: Uint8Array<ArrayBuffer>, usage: 'wrapKey' | 'unwrapKey') {
  const shared = await subtle.deriveBits({ name: 'ECDH', public: publicKey }, privateKey, 256)
  const material = await subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey'])
  return subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt, info }, material, AES, false, [usage])
}

/**
 * Wraps the data key for one device. `dataKey` must be grantable (unlockKeyring or
 * createKeyring with `{ grantable: true }`); its bytes stay inside WebCrypto.
 * @example const grant = await grantDataKey(key, device.public_key, { tenantId, deviceId: device.id })
 */
export async function grantDataKey(dataKey: DataKey, devicePublicKey: DevicePublicKey, context: GrantContext, options: DeviceGrantOptions = {}): Promise<DeviceKeyGrant> {
  if (!dataKey.cryptoKey.extractable) throw new TypeError('Cannot grant the data key: unlock it with { grantable: true } first')
  if (dataKey.tenantId !== context.tenantId) throw new TypeError('Cannot grant the data key: it belongs to another tenant')
  const crypto = options.crypto ?? globalThis.crypto
  const subtle = crypto.subtle
  const service = serviceFor(crypto)
  const info = grantBinding(context, dataKey.kid)
  const salt = service.randomBytes(32)
  const iv = service.randomBytes(12)
  const device = await subtle.importKey('jwk', { ...parseDevicePublicKey(devicePublicKey), ext: true }, ECDH, true, [])
  const ephemeralPrivate = options.ephemeralPrivateKeyJwk
    ? await subtle.importKey('jwk', options.ephemeralPrivateKeyJwk as never, ECDH, true, ['deriveBits'])
    : (await subtle.generateKey(ECDH, true, ['deriveBits']) as { privateKey: CryptoKeyHandle }).privateKey
  // The public half of the ephemeral key, from its private JWK (x, y are in it).
  const ephemeralJwk = await subtle.exportKey('jwk', ephemeralPrivate) as JsonWebKeyLike
  const key = await wrappingKey(subtle, ephemeralPrivate, device, salt, info, 'wrapKey')
  const ciphertext = new Uint8Array(await subtle.wrapKey('raw', dataKey.cryptoKey, key, { name: 'AES-GCM', iv, additionalData: info }))
  return {
    version: 1, alg: ALG, kid: dataKey.kid, ephemeral_public_key: publicPart(ephemeralJwk),
    salt: bytesToBase64(salt), iv: bytesToBase64(iv), ciphertext: bytesToBase64(ciphertext),
  }
}

/**
 * Opens a grant with the device's private key into a non-extractable data key that
 * decryptBlock accepts. Throws InvalidBlockError (malformed) or UndecryptableGrantError.
 */
export async function openDeviceGrant(grant: unknown, devicePrivateKey: CryptoKeyHandle, context: GrantContext, options: { crypto?: WebCrypto } = {}): Promise<DataKey> {
  const parsed = parseDeviceKeyGrant(grant)
  const subtle = (options.crypto ?? globalThis.crypto).subtle
  const info = grantBinding(context, parsed.kid)
  try {
    const ephemeral = await subtle.importKey('jwk', { ...parsed.ephemeral_public_key, ext: true }, ECDH, true, [])
    const key = await wrappingKey(subtle, devicePrivateKey, ephemeral, base64ToBytes(parsed.salt), info, 'unwrapKey')
    const cryptoKey = await subtle.unwrapKey('raw', base64ToBytes(parsed.ciphertext), key, { name: 'AES-GCM', iv: base64ToBytes(parsed.iv), additionalData: info }, AES, false, ['encrypt', 'decrypt'])
    return Object.freeze({ cryptoKey, kid: parsed.kid, tenantId: context.tenantId }) as DataKey
  } catch {
    throw new UndecryptableGrantError()
  }
}
