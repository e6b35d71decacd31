/**
 * One round of pool statistics: each pool key's block opened here with the tenant
 * data key (kind `pool_api_key`, subject the key's id), the pool it names queried
 * with the decrypted key, and one report per key — figures, or why there are none.
 * One key's failure never stops the others, and no message carries a character of
 * a key, a secret, an account or an address. The pool asked is the one sealed in the
 * block: the plaintext `pool` label is the server's to change, and a hostile server
 * relabelling an Antpool key as Braiins would otherwise have it sent to Braiins.
 */
import { MAX_ERROR_MESSAGE, type PoolStatsReport } from '../../api/src/schemas/pool_stats.ts'
import { ADDRESS } from '../../api/src/lib/address_text.ts'
import type { WrappedKeyring } from '../../e2ee/mod.ts'
import type { PoolKeysReply } from '../api_client.ts'
import { type BlockOpener, UnopenableBlockError } from '../block_opener.ts'
import { sleep } from '../delivery.ts'
import { describeFetchError, type PoolCredentials, PoolQueryError, type PoolRequest } from './pool_api.ts'
import { type PoolBases, type PoolName, poolNamed, POOLS, SUPPORTED_POOLS } from './registry.ts'

export type PoolKeyEntry = PoolKeysReply['pool_keys'][number]

export interface CollectOptions {
  opener: BlockOpener
  keyring: WrappedKeyring | null
  bases?: PoolBases
  /** Deadline per pool request, ms (default 10 000). */
  timeoutMs?: number
  /** Wait the pool's documented gap between its requests (default true; tests turn it off). */
  paced?: boolean
  signal?: AbortSignal
  fetch?: typeof fetch
}


/** Hides every secret and address in `message` and bounds its length. */
function safeMessage(message: string, secrets: readonly string[]): string {
  let text = message
  for (const s of secrets) if (s.length > 0) text = text.split(s).join('[hidden]')
  text = text.replace(new RegExp(ADDRESS.source, 'gi'), '[address]')
  return text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE - 1)}…` : text
}

function credentialsOf(value: Record<string, unknown>): PoolCredentials {
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined)
  const api_key = text(value.api_key)
  if (!api_key) throw new PoolQueryError('unsupported', 'Cannot query the pool: the key\'s block holds no api_key')
  return { api_key, api_secret: text(value.api_secret), account: text(value.account) }
}

/**
 * The pool to ask: the one the owner's device sealed beside the key. Blocks sealed
 * before the pool name was (no `pool` inside) keep working from the server's label.
 * @throws {PoolQueryError} kind 'mismatch' when the server's label differs from the sealed name
 */
function poolOf(key: PoolKeyEntry, value: Record<string, unknown>): string {
  if (typeof value.pool !== 'string') return key.pool
  if (value.pool !== key.pool) {
    throw new PoolQueryError('mismatch', `Cannot query the pool: the server labels this key '${key.pool}' but it was sealed for '${value.pool}'; no pool was asked (correct the label, or rotate the key)`)
  }
  return value.pool
}

/** Queries every key in turn (pools limit requests per address); never throws for one key. */
export async function collectPoolStats(keys: readonly PoolKeyEntry[], options: CollectOptions): Promise<PoolStatsReport[]> {
  const { opener, keyring, bases = {}, timeoutMs = 10_000, paced = true, signal } = options
  const lastRequest = new Map<PoolName, number>()
  const reports: PoolStatsReport[] = []
  for (const key of keys) {
    if (signal?.aborted) break
    const taken_at = new Date().toISOString()
    let secrets: string[] = []
    try {
      let opened: Record<string, unknown>
      try {
        opened = await opener.open('pool_api_key', key.id, key.block, keyring)
      } catch (error) {
        if (error instanceof UnopenableBlockError) throw new PoolQueryError('decrypt', error.message)
        throw error
      }
      const credentials = credentialsOf(opened)
      secrets = [credentials.api_key, credentials.api_secret ?? '', credentials.account ?? '']
      const pool = poolOf(key, opened)
      const name = poolNamed(pool)
      if (!name) throw new PoolQueryError('unsupported', `Cannot query pool '${pool}': its statistics API is not supported (supported: ${SUPPORTED_POOLS})`)
      const client = POOLS[name]
      const base = bases[name] ?? client.defaultBase
      const request: PoolRequest = async (path, init) => {
        if (paced) await sleep((lastRequest.get(name) ?? -Infinity) + client.minGapMs - Date.now(), signal)
        lastRequest.set(name, Date.now())
        const deadline = AbortSignal.timeout(timeoutMs)
        try {
          return await (options.fetch ?? fetch)(base + path, { ...init, redirect: 'error', signal: signal ? AbortSignal.any([signal, deadline]) : deadline })
        } catch (error) {
          const { kind, reason } = describeFetchError(error, timeoutMs)
          throw new PoolQueryError(kind, `Cannot query ${client.label}: ${reason}`)
        }
      }
      reports.push({ pool_key_id: key.id, taken_at, stats: await client.query(credentials, request), error: null })
    } catch (error) {
      const kind = error instanceof PoolQueryError ? error.kind : 'invalid'
      const message = error instanceof PoolQueryError ? error.message : 'Cannot query the pool: unexpected failure'
      reports.push({ pool_key_id: key.id, taken_at, stats: null, error: { kind, message: safeMessage(message, secrets) } })
    }
  }
  return reports
}
