/**
 * Version 2 tenant keyrings: one random data key (DK) per tenant, wrapped under a
 * KEK derived from the passphrase. Changing the passphrase re-wraps DK only, so no
 * block is re-encrypted. DK lives as a non-extractable CryptoKey once unlocked.
 */
import { base64ToBytes, bytesToBase64, bytesToBase64Url, utf8, type Bytes } from './base64.ts'
import { keyringAad } from './context.ts'
import { serviceFor, type CryptoService, type DataKey, type Kek, type WebCrypto } from './crypto_service.ts'
import { WeakKdfError, WrongPassphraseError } from './errors.ts'
import type { KeyCache } from './key_cache.ts'
import type { WrappedKeyring } from './schema.ts'
import { parseWrappedKeyring } from './validate.ts'

/** The weakest KDF a keyring may use (OWASP 2023 for PBKDF2-HMAC-SHA256). */
export const KDF_FLOOR = { name: 'PBKDF2', hash: 'SHA-256', iterations: 600_000 } as const

/** Options of the keyring functions. */
export interface KeyringOptions {
  /**
   * The WebCrypto to use (default `globalThis.crypto`). Tests pass one whose
   * `getRandomValues` replays fixed bytes: createKeyring draws DK (32), kid (16),
   * salt (16), iv (12) in that order; rewrapKeyring draws salt, then iv.
   */
  crypto?: WebCrypto
  /** PBKDF2 iterations for a new wrapping; at least the floor. Default the floor. */
  iterations?: number
  /** Lets unlockKeyring skip PBKDF2 when this passphrase already opened this keyring. */
  cache?: KeyCache
  /**
   * Makes the data key extractable so grantDataKey can wrap it for an edge device.
   * Only the owner's worker asks for this, for the moment it grants; never cached.
   */
  grantable?: boolean
}

/** A new keyring: what the API stores, and the data key, already unlocked. */
export interface CreatedKeyring {
  wrapped: WrappedKeyring
  key: DataKey
}

// The schema already pins name and hash to PBKDF2 / SHA-256; only the count varies.
function assertStrongKdf(iterations: number): void {
  if (!(iterations >= KDF_FLOOR.iterations)) {
    throw new WeakKdfError(`PBKDF2 SHA-256, ${iterations} iterations`, `PBKDF2 SHA-256, at least ${KDF_FLOOR.iterations} iterations`)
  }
}

/** Wraps DK's raw bytes under a fresh salt and iv; the caller zeroes `raw`. */
async function wrap(service: CryptoService, raw: Bytes, passphrase: string, tenantId: string, kid: string, iterations: number): Promise<WrappedKeyring> {
  assertStrongKdf(iterations)
  const salt = service.randomBytes(16)
  const iv = service.randomBytes(12)
  const kek: Kek = await service.deriveKek(passphrase, salt, iterations)
  const ciphertext = await service.seal(kek, iv, raw, keyringAad(tenantId, kid))
  return {
    kid,
    kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations, salt: bytesToBase64(salt) },
    wrapped_key: { ciphertext: bytesToBase64(ciphertext), iv: bytesToBase64(iv) },
  }
}

/**
 * Creates a tenant keyring: a random 256-bit DK and kid, DK wrapped under the passphrase.
 * @example const { wrapped, key } = await createKeyring(passphrase, tenantId)
 */
export async function createKeyring(passphrase: string, tenantId: string, options: KeyringOptions = {}): Promise<CreatedKeyring> {
  const service = serviceFor(options.crypto)
  const raw = service.randomBytes(32)
  try {
    const kid = bytesToBase64Url(service.randomBytes(16))
    const wrapped = await wrap(service, raw, passphrase, tenantId, kid, options.iterations ?? KDF_FLOOR.iterations)
    return { wrapped, key: await service.importDataKey(raw, kid, tenantId, options.grantable) }
  } finally {
    raw.fill(0)
  }
}

/**
 * Unlocks a keyring into its non-extractable data key. Throws InvalidBlockError if
 * malformed, WeakKdfError below the floor, WrongPassphraseError if it does not open.
 */
export async function unlockKeyring(wrapped: unknown, passphrase: string, tenantId: string, options: KeyringOptions = {}): Promise<DataKey> {
  const keyring = parseWrappedKeyring(wrapped)
  assertStrongKdf(keyring.kdf.iterations)
  const service = serviceFor(options.crypto)
  const salt = base64ToBytes(keyring.kdf.salt)
  const unlock = async () => {
    const kek = await service.deriveKek(passphrase, salt, keyring.kdf.iterations)
    const { ciphertext, iv } = keyring.wrapped_key
    try {
      return await service.unwrapDataKey(kek, base64ToBytes(ciphertext), base64ToBytes(iv), keyringAad(tenantId, keyring.kid), keyring.kid, tenantId, options.grantable)
    } catch {
      throw new WrongPassphraseError('unlock keyring')
    }
  }
  // A grantable key must not be handed to later callers through the cache.
  if (!options.cache || options.grantable) return unlock()
  const { kdf, kid, wrapped_key } = keyring
  const secrets = [utf8(passphrase), salt, utf8(JSON.stringify([tenantId, kid, kdf.iterations, wrapped_key]))]
  const key = await options.cache.getOrDerive('v2-keyring', secrets, unlock)
  options.cache.rememberDataKey(key)
  return key
}

/**
 * Re-wraps DK under a new passphrase (same kid, new salt and iv); blocks stay as they are.
 * @returns the keyring to store in place of the old one
 */
export async function rewrapKeyring(wrapped: unknown, oldPassphrase: string, newPassphrase: string, tenantId: string, options: KeyringOptions = {}): Promise<WrappedKeyring> {
  const keyring = parseWrappedKeyring(wrapped)
  assertStrongKdf(keyring.kdf.iterations)
  const service = serviceFor(options.crypto)
  const kek = await service.deriveKek(oldPassphrase, base64ToBytes(keyring.kdf.salt), keyring.kdf.iterations)
  const aad = keyringAad(tenantId, keyring.kid)
  let raw: Bytes
  try {
    raw = await service.open(kek, base64ToBytes(keyring.wrapped_key.iv), base64ToBytes(keyring.wrapped_key.ciphertext), aad)
  } catch {
    throw new WrongPassphraseError('change passphrase')
  }
  try {
    const iterations = Math.max(options.iterations ?? KDF_FLOOR.iterations, keyring.kdf.iterations)
    return await wrap(service, raw, newPassphrase, tenantId, keyring.kid, iterations)
  } finally {
    raw.fill(0)
  }
}
