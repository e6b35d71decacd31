/**
 * The pool-statistics repository: each key's reports from the edge in
 * `pool_key_stats`, one `pool.stats` stream event per stored report, and each key's
 * latest report for the owner's listing. Methods take the knex or the caller's
 * transaction, so the route owns the transaction.
 */
import type { Knex } from 'knex'
import { Forbidden } from '../errors.ts'
import type { PoolKeyStatsView, PoolStatsError, PoolStatsReport } from '../schemas/pool_stats.ts'

export interface PoolStatsBatchInput {
  batchId: string
  deviceId: string
  tenantId: string
  reports: readonly PoolStatsReport[]
}

interface StatsRow {
  pool_key_id: string
  taken_at: Date
  received_at: Date
  hashrate_ths: number | null
  hashrate_24h_ths: number | null
  workers_online: number | null
  workers_offline: number | null
  balance_btc: number | null
  last_share_at: Date | null
  error_kind: PoolStatsError['kind'] | null
  error_message: string | null
}

const iso = (d: Date) => new Date(d).toISOString()
const REPORT_ROW = `pool_key_id uuid, taken_at timestamptz, hashrate_ths float8, hashrate_24h_ths float8, workers_online int, workers_offline int,
  balance_btc float8, last_share_at timestamptz, error_kind text, error_message text`

function view(r: StatsRow): PoolKeyStatsView {
  return {
    taken_at: iso(r.taken_at),
    received_at: iso(r.received_at),
    stats: r.error_kind ? null : {
      hashrate_ths: r.hashrate_ths, hashrate_24h_ths: r.hashrate_24h_ths, workers_online: r.workers_online, workers_offline: r.workers_offline,
      balance_btc: r.balance_btc, last_share_at: r.last_share_at && iso(r.last_share_at),
    },
    error: r.error_kind ? { kind: r.error_kind, message: r.error_message ?? '' } : null,
  }
}

export const poolStats = {
  /**
   * Stores a batch once per batch id, with one stream event per report; the event names
   * the key and the time only, so members who may not read pool keys learn no figures.
   * @returns the number of reports stored (0: the batch was stored before)
   * @throws Forbidden when a report names a pool key of another tenant (nothing is stored)
   */
  async store(trx: Knex.Transaction, input: PoolStatsBatchInput): Promise<number> {
    const ids = input.reports.map((r) => r.pool_key_id)
    const own: string[] = await trx('secret_blocks').where({ tenant_id: input.tenantId, kind: 'pool_api_key' }).whereIn('id', ids).pluck('id')
    if (own.length !== new Set(ids).size) throw new Forbidden('store pool statistics', 'the batch names pool keys that are not this tenant\'s; nothing was stored')
    const rows = input.reports.map((r) => ({ pool_key_id: r.pool_key_id, taken_at: r.taken_at, ...r.stats, error_kind: r.error?.kind ?? null, error_message: r.error?.message ?? null }))
    const { rows: [stored] } = await trx.raw(
      `WITH ins AS (
         INSERT INTO pool_key_stats (tenant_id, device_id, batch_id, pool_key_id, taken_at, hashrate_ths, hashrate_24h_ths, workers_online, workers_offline,
                                     balance_btc, last_share_at, error_kind, error_message)
         SELECT ?, ?, ?, r.pool_key_id, r.taken_at, r.hashrate_ths, r.hashrate_24h_ths, r.workers_online, r.workers_offline,
                r.balance_btc, r.last_share_at, r.error_kind, r.error_message
           FROM json_to_recordset(?::json) AS r(${REPORT_ROW})
         ON CONFLICT (pool_key_id, batch_id) DO NOTHING
         RETURNING pool_key_id, taken_at, error_kind
       ), events AS (
         INSERT INTO stream_events (tenant_id, site_id, type, data)
         SELECT ?::uuid, NULL, 'pool.stats', json_build_object('pool_key_id', pool_key_id, 'taken_at', taken_at, 'ok', error_kind IS NULL) FROM ins
       )
       SELECT count(*)::int AS n FROM ins`,
      [input.tenantId, input.deviceId, input.batchId, JSON.stringify(rows), input.tenantId],
    )
    return stored.n
  },

  /** Each key's latest report (by the time it was taken), keyed by pool key id. */
  async latest(db: Knex, poolKeyIds: readonly string[]): Promise<Map<string, PoolKeyStatsView>> {
    if (poolKeyIds.length === 0) return new Map()
    const { rows } = await db.raw(
      `SELECT DISTINCT ON (pool_key_id) * FROM pool_key_stats WHERE pool_key_id = ANY(?::uuid[]) ORDER BY pool_key_id, taken_at DESC, id DESC`,
      [[...poolKeyIds]],
    )
    return new Map((rows as StatsRow[]).map((r) => [r.pool_key_id, view(r)]))
  },
}
