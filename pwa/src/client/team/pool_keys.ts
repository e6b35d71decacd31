/**
 * Pool API keys: the key and secret are sealed in the worker as one v2 block of
 * kind `pool_api_key` (its subject the key's id, chosen here so it is bound into the
 * AAD before the server hears of it); label, pool, scopes and the fingerprint the
 * worker computed go in clear. The pool name is sealed in the block too, so a server
 * that relabels the key cannot make the edge send it to another pool. Rotation sends a
 * new block; the server keeps the old.
 */
import type { PoolKey } from '../../shared/api_types.ts'
import type { PoolKeySecret } from '../../shared/crypto_protocol.ts'
import { api } from '../api.ts'
import { cryptoBridge } from '../crypto_bridge.ts'
import { session } from '../state.ts'

const token = () => session.value?.token ?? null

/** The tenant's pool keys (metadata and encrypted blocks). */
export async function listPoolKeys(): Promise<PoolKey[]> {
  return (await api<{ pool_keys: PoolKey[] }>('GET', '/api/pool-keys', token())).pool_keys
}

/** One key with its earlier versions (still encrypted). */
export function readPoolKey(id: string): Promise<PoolKey> {
  return api<PoolKey>('GET', `/api/pool-keys/${id}`, token())
}

/** "read, payouts:read" → ["read", "payouts:read"], lower-cased and without repeats. */
export function parseScopes(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((s) => s.trim().toLowerCase()).filter(Boolean))]
}

/** Seals and stores a new pool key. */
export async function addPoolKey(meta: { label: string; pool: string; scopes: string[] }, secret: Omit<PoolKeySecret, 'pool'>): Promise<PoolKey> {
  const id = crypto.randomUUID()
  const { block, fingerprint } = await cryptoBridge().call('sealPoolKey', { id, minCounter: 1, value: { ...secret, pool: meta.pool } })
  return api<PoolKey>('POST', '/api/pool-keys', token(), { id, ...meta, fingerprint, block })
}

/**
 * Replaces a key's secret with a new version; `current` is the version the owner saw.
 * The new block seals the pool shown beside the rotate form, which the owner confirms.
 */
export async function rotatePoolKey(current: PoolKey, secret: Omit<PoolKeySecret, 'pool'>): Promise<PoolKey> {
  const value = { ...secret, pool: current.pool }
  const { block, fingerprint } = await cryptoBridge().call('sealPoolKey', { id: current.id, minCounter: (current.block.counter ?? 0) + 1, value })
  return api<PoolKey>('POST', `/api/pool-keys/${current.id}/rotate`, token(), { fingerprint, block, base_version: current.version })
}
