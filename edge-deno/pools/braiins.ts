/**
 * Braiins Pool's monitoring API: the access-profile token (our `api_key`) in the
 * `Pool-Auth-Token` header; `/accounts/profile/json/btc/` for hashrate, worker
 * counts and balance, `/accounts/workers/json/btc/` for the last share. Hashrates
 * come in the answer's `hash_rate_unit` (e.g. "Gh/s"). Braiins documents about one
 * request per five seconds, past which requests are ignored and the address banned.
 */
import { amount, count, jsonOf, PoolQueryError, type PoolClient, toThs } from './pool_api.ts'

const label = 'Braiins Pool'
type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

export const braiins: PoolClient = {
  label,
  defaultBase: 'https://pool.braiins.com',
  minGapMs: 5000,
  async query(credentials, request) {
    const headers = { 'Pool-Auth-Token': credentials.api_key, accept: 'application/json' }
    const profile = (await jsonOf(await request('/accounts/profile/json/btc/', { headers }), label) as Obj | null)?.btc
    if (!isObj(profile) || typeof profile.hash_rate_unit !== 'string') throw new PoolQueryError('invalid', `Cannot query ${label}: the profile answer has no btc figures`)
    const workers = (await jsonOf(await request('/accounts/workers/json/btc/', { headers }), label) as Obj | null)?.btc
    const list = isObj(workers) && isObj(workers.workers) ? Object.values(workers.workers) : []
    const lastShare = Math.max(0, ...list.map((w) => (isObj(w) && typeof w.last_share === 'number' ? w.last_share : 0)))
    const online = [count(profile.ok_workers), count(profile.low_workers)]
    return {
      hashrate_ths: toThs(profile.hash_rate_5m, profile.hash_rate_unit),
      hashrate_24h_ths: toThs(profile.hash_rate_24h, profile.hash_rate_unit),
      // "low" workers still submit shares; "dis" ones have monitoring turned off and count as neither.
      workers_online: online.includes(null) ? null : online[0]! + online[1]!,
      workers_offline: count(profile.off_workers),
      balance_btc: amount(profile.current_balance),
      last_share_at: lastShare > 0 ? new Date(lastShare * 1000).toISOString() : null,
    }
  },
}
