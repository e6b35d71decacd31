/**
 * The pool-statistics repository: each key's reports from the edge in
 * `pool_key_stats`, one `pool.stats` stream event per stored report, and each key's
 * latest report for the owner's listing. Methods take the knex or the caller's
 * transaction, so the route owns the transaction.
 */
import type { Knex } from 'knex'
import { BadInput, Forbidden } from '../errors.ts'
import { ADDRESS } from './address_text.ts'
import type { PoolKeyStatsView, PoolStatsError, PoolStatsReport } from '../schemas/pool_stats.ts'

/** The stream event each stored report appends (the hub limits who receives it). */
export const POOL_STATS_EVENT = 'pool.stats'

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

/**
 * How far a report's taken_at may be ahead of this server's clock. The listing shows
 * the report taken last, not the one received last, so that rounds an edge delivers
 * late from its spool never hide newer figures; a time in the future would then pin
 * one report as "last" until the clock caught up, so it is refused. Five minutes
 * allows for ordinary clock drift between the edge and the server.
 */
export const MAX_TAKEN_AHEAD_MS = 5 * 60_000

/**
 * What the schema cannot say about a batch: each report has figures or an error,
 * names its key once, carries no address in its message and was not taken in the future.
 * @throws BadInput naming the pool key at fault (nothing is stored)
 */
export function checkPoolStatsReports(reports: readonly PoolStatsReport[], now: Date): void {
  const action = 'store pool statistics'
  const latest = now.getTime() + MAX_TAKEN_AHEAD_MS
  const seen = new Set<string>()
  for (const r of reports) {
    if ((r.stats === null) === (r.error === null)) throw new BadInput(action, `the report of pool key ${r.pool_key_id} must have either stats or an error`)
    if (seen.has(r.pool_key_id)) throw new BadInput(action, `pool key ${r.pool_key_id} is reported twice in one batch`)
    seen.add(r.pool_key_id)
    if (r.error && ADDRESS.test(r.error.message)) throw new BadInput(action, `the error message of pool key ${r.pool_key_id} contains an address`)
    if (Date.parse(r.taken_at) > latest) {
      throw new BadInput(action, `the report of pool key ${r.pool_key_id} was taken at ${r.taken_at}, more than 5 minutes after the server's time ${now.toISOString()}; check the edge device's clock`)
    }
  }
}

// As toISOString() writes it ('…T11:00:00.000Z'), not PostgreSQL's '+00:00', so stream readers see one time format.
const ISO_UTC = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
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
         SELECT ?::uuid, NULL, ?, json_build_object('pool_key_id', pool_key_id, 'taken_at', ${ISO_UTC('taken_at')}, 'ok', error_kind IS NULL) FROM ins
       )
       SELECT count(*)::int AS n FROM ins`,
      [input.tenantId, input.deviceId, input.batchId, JSON.stringify(rows), input.tenantId, POOL_STATS_EVENT],
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
