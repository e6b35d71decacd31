/** Pool API keys in the worker: the fingerprint sealed beside each key's block. */
import type { PoolKeySecret } from '../shared/crypto_protocol.ts'
import { unlocked } from './key_holder.ts'

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

/**
 * A pool key's fingerprint: 64 bits of SHA-256 over the tenant, key and secret, as
 * `xxxx-xxxx-xxxx-xxxx`. It tells versions apart without showing a character of the
 * key. The secret is hashed too, so nobody can match a fingerprint by guessing the key alone.
 */
export async function poolKeyFingerprint(value: PoolKeySecret): Promise<string> {
  const input = new TextEncoder().encode(JSON.stringify(['hashinsight/pool-key-fingerprint/v1', unlocked().key.tenantId, value.api_key, value.api_secret]))
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', input))
  return hex(digest.subarray(0, 8)).match(/.{4}/g)!.join('-')
}
