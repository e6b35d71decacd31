/**
 * HashInsight end-to-end encryption: one implementation over WebCrypto for the
 * PWA's worker, the Deno collector and Node. Import from here (or `schema.ts` for
 * the wire types alone); the other files are internal.
 *
 * @example
 * import { createKeyring, encryptBlock, decryptBlock } from './e2ee/mod.ts'
 * const { wrapped, key } = await createKeyring(passphrase, tenantId)
 * const block = await encryptBlock(key, creds, { tenantId, kind: 'credentials', subjectId, counter: 1 })
 */
export { encryptObject, decryptObject, type V1Options } from './v1.ts'
export { createKeyring, unlockKeyring, rewrapKeyring, KDF_FLOOR, type CreatedKeyring, type KeyringOptions } from './keyring.ts'
export { encryptBlock, decryptBlock, type BlockOptions, type ExpectedContext } from './block_v2.ts'
export {
  createDeviceKeyPair,
  importDevicePrivateKey,
  deviceFingerprint,
  canonicalPublicKey,
  grantDataKey,
  openDeviceGrant,
  type DeviceKeyPair,
  type DeviceGrantOptions,
  type GrantContext,
  type JsonWebKeyLike,
} from './device_grant.ts'
export * from './command.ts'
export type { BlockContext } from './context.ts'
export {
  createRollbackGuard,
  rollbackGuardFromJSON,
  type RollbackGuard,
  type RollbackGuardOptions,
  type RollbackScope,
  type RollbackSnapshot,
} from './rollback_guard.ts'
export { createKeyCache, type KeyCache, type KeyCacheOptions } from './key_cache.ts'
export {
  createCryptoService,
  V1_ITERATIONS,
  type CryptoService,
  type CryptoKeyHandle,
  type DataKey,
  type Kek,
  type V1Key,
  type WebCrypto,
} from './crypto_service.ts'
export * from './errors.ts'
export { parseBlockV1, parseBlockV2, parseWrappedKeyring, parseDevicePublicKey, parseDeviceKeyGrant } from './validate.ts'
export * from './schema.ts'
