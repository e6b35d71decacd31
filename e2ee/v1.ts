/**
 * Version 1 blocks, bit-compatible with the seed's browser module
 * (`crypto_miner_e2ee.js`) and its Python helper (`crypto_e2ee.py`): PBKDF2-SHA256
 * 100 000 over a per-block 16-byte salt, AES-256-GCM, 12-byte iv, no AAD, plaintext
 * `JSON.stringify(obj)`. Kept for reading and writing old data; new data goes to v2.
 */
import { base64ToBytes, bytesToBase64, utf8, type Bytes } from './base64.ts'
import { serviceFor, type CryptoService, type V1Key, type WebCrypto } from './crypto_service.ts'
import { WrongPassphraseError } from './errors.ts'
import type { KeyCache } from './key_cache.ts'
import type { BlockV1 } from './schema.ts'
import { parseBlockV1, parsePlaintext } from './validate.ts'

/** Options of the v1 functions. */
export interface V1Options {
  /**
   * The WebCrypto to use (default `globalThis.crypto`). Tests pass one whose
   * `getRandomValues` replays fixed bytes (salt, then iv) to produce vectors.
   */
  crypto?: WebCrypto
  /** Reuses keys across blocks that share a salt and passphrase. */
  cache?: KeyCache
}

function v1Key(service: CryptoService, passphrase: string, salt: Bytes, cache?: KeyCache): Promise<V1Key> {
  const derive = () => service.deriveV1Key(passphrase, salt)
  return cache ? cache.getOrDerive('v1', [utf8(passphrase), salt], derive) : derive()
}

/**
 * Encrypts a JSON value as a v1 block, as the seed's `encryptObject` does.
 * @param obj any value `JSON.stringify` accepts
 * @example const block = await encryptObject({ password: 'x' }, passphrase)
 */
export async function encryptObject(obj: unknown, passphrase: string, options: V1Options = {}): Promise<BlockV1> {
  const service = serviceFor(options.crypto)
  const salt = service.randomBytes(16)
  const iv = service.randomBytes(12)
  const key = await v1Key(service, passphrase, salt, options.cache)
  const ciphertext = await service.seal(key, iv, utf8(JSON.stringify(obj)))
  return {
    ciphertext: bytesToBase64(ciphertext),
    iv: bytesToBase64(iv),
    salt: bytesToBase64(salt),
    algo: 'AES-256-GCM',
    version: 1,
  }
}

/**
 * Decrypts a v1 block back to its JSON value, as the seed's `decryptObject` does.
 * Throws InvalidBlockError if the block is malformed, WrongPassphraseError if the
 * passphrase is wrong or the data was damaged (GCM cannot tell those apart).
 */
export async function decryptObject<T = unknown>(block: unknown, passphrase: string, options: V1Options = {}): Promise<T> {
  const { ciphertext, iv, salt } = parseBlockV1(block)
  const service = serviceFor(options.crypto)
  const key = await v1Key(service, passphrase, base64ToBytes(salt), options.cache)
  let plaintext: Bytes
  try {
    plaintext = await service.open(key, base64ToBytes(iv), base64ToBytes(ciphertext))
  } catch {
    throw new WrongPassphraseError()
  }
  return parsePlaintext<T>(plaintext, 'v1 block')
}
