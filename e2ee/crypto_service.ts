/**
 * The one place that calls `crypto.subtle`. Every runtime passes its own WebCrypto
 * (the worker's, Deno's, Node's globalThis.crypto), and tests pass a wrapper that
 * counts derivations or replays fixed random bytes. Keys come out typed by role, so
 * a v1 passphrase key, a KEK and a data key cannot be passed for one another.
 */
import { utf8, type Bytes } from './base64.ts'

/** The slice of WebCrypto this module uses; every runtime's `globalThis.crypto` fits. */
export type WebCrypto = Pick<typeof globalThis.crypto, 'subtle' | 'getRandomValues'>
type Subtle = WebCrypto['subtle']
/** A WebCrypto CryptoKey, named without relying on DOM typings (Node's tsconfig has none). */
export type CryptoKeyHandle = Parameters<Subtle['encrypt']>[1]

declare const role: unique symbol
/** A v1 key: PBKDF2 100 000 of the passphrase over one block's salt. */
export type V1Key = { readonly [role]: 'v1'; readonly cryptoKey: CryptoKeyHandle }
/** A key-encryption key: PBKDF2 of the passphrase over the keyring's salt; wraps DK only. */
export type Kek = { readonly [role]: 'kek'; readonly cryptoKey: CryptoKeyHandle }
/** A tenant's unlocked data key (non-extractable), with the keyring id and tenant it belongs to. */
export type DataKey = {
  readonly [role]: 'data'
  readonly cryptoKey: CryptoKeyHandle
  readonly kid: string
  readonly tenantId: string
}
/** Any AES-256-GCM key role, for the seal/open primitives. */
export type AesKey = V1Key | Kek | DataKey

/** Iterations of the seed's v1 format; fixed by compatibility, not by choice. */
export const V1_ITERATIONS = 100_000

/** WebCrypto operations by key role. Create one with {@link createCryptoService}. */
export interface CryptoService {
  /** Fresh random bytes (salts, ivs, data keys, kids). */
  randomBytes(length: number): Bytes
  /** Derives the v1 key for a block's salt. */
  deriveV1Key(passphrase: string, salt: Bytes): Promise<V1Key>
  /** Derives a keyring's KEK (also allowed to unwrap the data key directly). */
  deriveKek(passphrase: string, salt: Bytes, iterations: number): Promise<Kek>
  /**
   * Imports raw data-key bytes as an AES-GCM key, non-extractable unless `grantable`
   * (only the owner's worker, to wrap it for an edge device).
   */
  importDataKey(raw: Bytes, kid: string, tenantId: string, grantable?: boolean): Promise<DataKey>
  /** Unwraps a data key straight into a CryptoKey (non-extractable unless `grantable`): its bytes never reach JS. */
  unwrapDataKey(kek: Kek, wrapped: Bytes, iv: Bytes, aad: Bytes, kid: string, tenantId: string, grantable?: boolean): Promise<DataKey>
  /** AES-256-GCM encryption; the result is the ciphertext with its 16-byte tag appended. */
  seal(key: AesKey, iv: Bytes, plaintext: Bytes, aad?: Bytes): Promise<Bytes>
  /** AES-256-GCM decryption; rejects (OperationError) when the tag does not verify. */
  open(key: AesKey, iv: Bytes, ciphertext: Bytes, aad?: Bytes): Promise<Bytes>
}

/**
 * Builds the crypto service over the caller's WebCrypto.
 * @example const service = createCryptoService({ crypto: globalThis.crypto })
 */
export function createCryptoService({ crypto = globalThis.crypto }: { crypto?: WebCrypto } = {}): CryptoService {
  const subtle = crypto.subtle
  const AES = { name: 'AES-GCM', length: 256 } as const

  async function pbkdf2(passphrase: string, salt: Bytes, iterations: number, usages: KeyUsageList) {
    const material = await subtle.importKey('raw', utf8(passphrase), 'PBKDF2', false, ['deriveKey'])
    const params = { name: 'PBKDF2', hash: 'SHA-256', salt, iterations }
    return subtle.deriveKey(params, material, AES, false, usages)
  }
  const gcm = (iv: Bytes, aad?: Bytes) => (aad ? { name: 'AES-GCM', iv, additionalData: aad } : { name: 'AES-GCM', iv })

  return {
    randomBytes: (length) => crypto.getRandomValues(new Uint8Array(length)),
    async deriveV1Key(passphrase, salt) {
      const cryptoKey = await pbkdf2(passphrase, salt, V1_ITERATIONS, ['encrypt', 'decrypt'])
      return Object.freeze({ cryptoKey }) as V1Key
    },
    async deriveKek(passphrase, salt, iterations) {
      const cryptoKey = await pbkdf2(passphrase, salt, iterations, ['encrypt', 'decrypt', 'unwrapKey'])
      return Object.freeze({ cryptoKey }) as Kek
    },
    async importDataKey(raw, kid, tenantId, grantable = false) {
      const cryptoKey = await subtle.importKey('raw', raw, AES, grantable, ['encrypt', 'decrypt'])
      return Object.freeze({ cryptoKey, kid, tenantId }) as DataKey
    },
    async unwrapDataKey(kek, wrapped, iv, aad, kid, tenantId, grantable = false) {
      const cryptoKey = await subtle.unwrapKey('raw', wrapped, kek.cryptoKey, gcm(iv, aad), AES, grantable, ['encrypt', 'decrypt'])
      return Object.freeze({ cryptoKey, kid, tenantId }) as DataKey
    },
    async seal(key, iv, plaintext, aad) {
      return new Uint8Array(await subtle.encrypt(gcm(iv, aad), key.cryptoKey, plaintext))
    },
    async open(key, iv, ciphertext, aad) {
      return new Uint8Array(await subtle.decrypt(gcm(iv, aad), key.cryptoKey, ciphertext))
    },
  }
}

const services = new WeakMap<WebCrypto, CryptoService>()
/** The service for a WebCrypto, built once, so callers pass `{ crypto }` and never a service. */
export function serviceFor(crypto: WebCrypto = globalThis.crypto): CryptoService {
  let service = services.get(crypto)
  if (!service) services.set(crypto, (service = createCryptoService({ crypto })))
  return service
}

type KeyUsageList = Parameters<Subtle['deriveKey']>[4]
