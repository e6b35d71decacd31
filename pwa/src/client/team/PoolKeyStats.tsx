/**
 * A pool key's last statistics, as the edge read them from the pool with the key it
 * decrypted: hashrate now and over 24 hours, workers, balance and last share, and
 * when they were taken; or why the edge could not read them.
 */
import type { PoolKey } from '../../shared/api_types.ts'

type LastStats = NonNullable<PoolKey['last_stats']>

const ths = (value: number | null) => (value === null ? '—' : `${value >= 100 ? value.toFixed(0) : value.toFixed(2)} TH/s`)
const when = (iso: string) => new Date(iso).toLocaleString()

/** "2 online, 1 offline", or null when the pool gave neither count. */
function workers(stats: NonNullable<LastStats['stats']>): string | null {
  const parts = [stats.workers_online !== null && `${stats.workers_online} online`, stats.workers_offline !== null && `${stats.workers_offline} offline`].filter(Boolean)
  return parts.length ? `Workers ${parts.join(', ')}` : null
}

export function PoolKeyStats({ last }: { last: LastStats | null | undefined }) {
  if (!last) return <p class="hint">No statistics yet: an edge device reads them from the pool every few minutes once it has this key.</p>
  if (last.error) {
    return <p class="hint" role="status" data-pool-stats="error">Could not read statistics ({when(last.taken_at)}): {last.error.message}</p>
  }
  const s = last.stats!
  const details = [
    workers(s),
    s.balance_btc !== null && `balance ${s.balance_btc.toFixed(8)} BTC`,
    s.last_share_at && `last share ${when(s.last_share_at)}`,
  ].filter(Boolean)
  return (
    <div data-pool-stats="ok">
      <p>Hashrate <strong>{ths(s.hashrate_ths)}</strong> now · {ths(s.hashrate_24h_ths)} over 24 h</p>
      {details.length > 0 && <p class="hint">{details.join(' · ')}</p>}
      <p class="hint">Taken {when(last.taken_at)}</p>
    </div>
  )
}
