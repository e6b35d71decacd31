/**
 * A bounded (LRU) cache of derived keys, so decrypting a page of v1 blocks that
 * share a salt, or many v2 blocks under one keyring, runs PBKDF2 once per key.
 *
 * Entries are keyed by HMAC-SHA256(secret, inputs) under a random, non-extractable
 * secret made per cache: the passphrase is never a map key, and unlike a plain
 * hash the ids cannot be used to test passphrase guesses offline.
 */
import { bytesToBase64, utf8, type Bytes } from './base64.ts'
import type { CryptoKeyHandle, DataKey, WebCrypto } from './crypto_service.ts'

/** Derived keys by id, evicting the least recently used. Create with {@link createKeyCache}. */
export interface KeyCache {
  /** Entries held now (derived keys plus remembered data keys). */
  readonly size: number
  /**
   * Returns the key cached for `(scope, secrets)`, or runs `derive` once and caches it.
   * Concurrent calls for the same inputs share one derivation; a failed one is not cached.
   */
  getOrDerive<K>(scope: string, secrets: readonly Bytes[], derive: () => Promise<K>): Promise<K>
  /** Remembers an unlocked data key so blocks carrying its kid find it. */
  rememberDataKey(key: DataKey): void
  /** The unlocked data key of a tenant's keyring, if this cache holds it. */
  dataKey(tenantId: string, kid: string): DataKey | undefined
  /** Forgets every key (on lock or logout). */
  clear(): void
}

/** Options of {@link createKeyCache}. */
export interface KeyCacheOptions {
  crypto?: WebCrypto
  /** Most entries kept; the least recently used goes first. Default 256. */
  maxEntries?: number
}

/**
 * Creates an empty key cache.
 * @example
 * const cache = createKeyCache({ maxEntries: 64 })
 * for (const block of blocks) rows.push(await decryptObject(block, passphrase, { cache }))
 */
export function createKeyCache({ crypto = globalThis.crypto, maxEntries = 256 }: KeyCacheOptions = {}): KeyCache {
  if (!(Number.isInteger(maxEntries) && maxEntries >= 1)) throw new RangeError('Cannot create key cache: maxEntries must be at least 1')
  const entries = new Map<string, Promise<unknown> | DataKey>()
  let secret: Promise<CryptoKeyHandle> | undefined

  function touch<V extends Promise<unknown> | DataKey>(id: string, value: V): V {
    // A Map iterates in insertion order, so re-inserting marks the entry most recent.
    entries.delete(id)
    entries.set(id, value)
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string)
    return value
  }

  async function idOf(scope: string, secrets: readonly Bytes[]): Promise<string> {
    secret ??= crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    // Length-prefix each part so (ab, c) and (a, bc) cannot collide.
    const parts = secrets.flatMap((part) => [utf8(`${part.length}:`), part])
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
    parts.reduce((offset, p) => (joined.set(p, offset), offset + p.length), 0)
    const mac = await crypto.subtle.sign('HMAC', await secret, joined)
    joined.fill(0)
    return `${scope}|${bytesToBase64(new Uint8Array(mac))}`
  }

  return {
    get size() {
      return entries.size
    },
    async getOrDerive<K>(scope: string, secrets: readonly Bytes[], derive: () => Promise<K>): Promise<K> {
      const id = await idOf(scope, secrets)
      const cached = entries.get(id)
      if (cached instanceof Promise) return touch(id, cached) as Promise<K>
      const pending = touch(id, derive())
      pending.catch(() => entries.get(id) === pending && entries.delete(id))
      return pending
    },
    rememberDataKey(key) {
      touch(`kid|${JSON.stringify([key.tenantId, key.kid])}`, key)
    },
    dataKey(tenantId, kid) {
      const id = `kid|${JSON.stringify([tenantId, kid])}`
      const key = entries.get(id)
      return key && !(key instanceof Promise) ? touch(id, key) : undefined
    },
    clear() {
      entries.clear()
    },
  }
}
