/**
 * What every pool's statistics client shares: the normalized figures (the API's
 * schema), the credentials a pool key's block holds, one HTTP call with a deadline,
 * and errors whose kind tells the owner what to do and whose message names the pool
 * and the reason, never a key, a secret, an account or an address.
 */
import type { PoolStatsError, PoolStatsFigures } from '../../api/src/schemas/pool_stats.ts'

export type { PoolStatsError, PoolStatsFigures }

/** What a pool client needs from a `pool_api_key` block (which also holds the sealed pool name, checked in collect.ts). */
export interface PoolCredentials {
  api_key: string
  api_secret?: string
  /** The pool account (Antpool's user id), when the pool signs with it. */
  account?: string
}

/** One pool's statistics API. */
export interface PoolClient {
  /** As shown to people, e.g. "Braiins Pool". */
  label: string
  /** The real API's base URL. */
  defaultBase: string
  /** The pool's documented request budget, as the least time between two requests. */
  minGapMs: number
  /** Queries one account's figures; `request` makes every HTTP call (deadline, pacing). */
  query(credentials: PoolCredentials, request: PoolRequest): Promise<PoolStatsFigures>
}

export type PoolRequest = (path: string, init?: RequestInit) => Promise<Response>

/** A pool query that gave no figures; `message` is safe to log and to send to the API. */
export class PoolQueryError extends Error {
  override name = 'PoolQueryError'
  constructor(readonly kind: PoolStatsError['kind'], message: string) {
    super(message)
  }
}

const UNITS: Record<string, number> = { 'h/s': 1e-12, 'kh/s': 1e-9, 'mh/s': 1e-6, 'gh/s': 1e-3, 'th/s': 1, 'ph/s': 1e3, 'eh/s': 1e6 }

/** 27978 "Gh/s" → 27.978 TH/s; null for a value or unit the pool did not give. */
export function toThs(value: unknown, unit: string): number | null {
  const n = typeof value === 'string' ? Number(value) : value
  const factor = UNITS[unit.toLowerCase()]
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 && factor !== undefined ? n * factor : null
}

/** A non-negative count, or null. */
export function count(value: unknown): number | null {
  const n = typeof value === 'string' ? Number(value) : value
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : null
}

/** "0.00480411" → 0.00480411, or null. */
export function amount(value: unknown): number | null {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : null
}

/** The body of a successful answer as JSON, or the error its status means. */
export async function jsonOf(response: Response, label: string): Promise<unknown> {
  if (!response.ok) {
    await response.body?.cancel()
    const status = response.status
    if (status === 401 || status === 403) throw new PoolQueryError('auth', `Cannot query ${label}: the pool refused the key (HTTP ${status}); check it or rotate it`)
    if (status === 429) throw new PoolQueryError('rate_limited', `Cannot query ${label}: the pool is limiting requests (HTTP 429); try a longer --pool-interval`)
    if (status >= 500) throw new PoolQueryError('server', `Cannot query ${label}: the pool answered HTTP ${status}`)
    throw new PoolQueryError('invalid', `Cannot query ${label}: the pool answered HTTP ${status}`)
  }
  try {
    return JSON.parse(await response.text())
  } catch {
    throw new PoolQueryError('invalid', `Cannot query ${label}: the pool's answer is not JSON`)
  }
}

/** Why a fetch failed, in words that name no URL, host or address. */
export function describeFetchError(error: unknown, timeoutMs: number): { kind: PoolStatsError['kind']; reason: string } {
  if (error instanceof DOMException && error.name === 'TimeoutError') return { kind: 'timeout', reason: `no answer within ${timeoutMs} ms` }
  if (error instanceof DOMException && error.name === 'AbortError') return { kind: 'unreachable', reason: 'stopped' }
  // Deno says "fetch failed" and keeps the reason (with the URL, never shown) in `cause`.
  const text = `${(error as Error)?.message ?? error} ${(error as Error)?.cause ?? ''}`
  if (/refused/i.test(text)) return { kind: 'unreachable', reason: 'the connection was refused' }
  if (/dns|resolve|lookup/i.test(text)) return { kind: 'unreachable', reason: 'the pool host name does not resolve' }
  if (/certificate|tls|ssl/i.test(text)) return { kind: 'unreachable', reason: 'the TLS connection failed' }
  return { kind: 'unreachable', reason: 'the network request failed' }
}
