/**
 * Storing a telemetry batch: the raw rows, each miner's live state, alerts raised
 * or cleared, and the events the stream sends (one per batch with the figures and
 * the site totals, one per alert change). All in one transaction, so a batch
 * stored twice cannot happen and a batch lost changes nothing. It costs a fixed
 * handful of round trips whatever the batch size: the raw rows by COPY, the batch
 * claim with the site's lock, the miners' state and the site's thresholds in one
 * query, and every other write takes its rows as one parameter.
 */
import type { Knex } from 'knex'
import { Forbidden } from '../errors.ts'
import type { TelemetrySample } from '../schemas/edge.ts'
import { ALERT_TYPES, DEFAULT_THRESHOLDS, evaluate, type AlertThresholds, type AlertType, type LiveState } from './alerts.ts'
import { withCopyTransaction, type CopyValue } from './copy_rows.ts'
import { pgArray } from './pg_array.ts'

export interface TelemetryBatchInput {
  batchId: string
  deviceId: string
  tenantId: string
  siteId: string
  samples: readonly TelemetrySample[]
}

interface MinerState extends LiveState {
  miner_id: string
  has_live: boolean
  open_alerts: AlertType[] | null
}

interface RaisedAlert {
  miner_id: string
  type: AlertType
  value: number | null
  threshold: number
  at: string
  /** Set when the same batch clears it again: stored already closed. */
  cleared_at: string | null
}

const maxOf = (values: number[]) => (values.length ? Math.max(...values) : null)

/** The raw telemetry table's columns, in the order `telemetryRow` gives them. */
export const TELEMETRY_COLUMNS = ['tenant_id', 'site_id', 'miner_id', 'at', 'online', 'hashrate_ths', 'hashrate_avg_ths', 'accepted_shares', 'rejected_shares',
  'stale_shares', 'hardware_errors', 'temp_chip_max_c', 'power_w', 'uptime_s', 'detail', 'batch_id'] as const

/**
 * Stores a batch once per batch id.
 * @returns false when the batch id was stored before (nothing changes then)
 * @throws Forbidden when a sample names a miner of another site (nothing is stored)
 */
export async function storeTelemetryBatch(knex: Knex, input: TelemetryBatchInput): Promise<boolean> {
  const { tenantId, siteId, samples } = input
  const ids = [...new Set(samples.map((s) => s.miner_id))]
  return withCopyTransaction(knex, async (trx, copy) => {
    // The raw rows go in first, while another batch of the site may still be applying.
    await copy('telemetry', TELEMETRY_COLUMNS, samples.map((s) => telemetryRow(input, s)))
    // One statement then claims the batch id and takes the site's lock: batches of one
    // site apply one at a time, each reading the live state and open alerts the one
    // before it committed, so averages follow every sample and an alert is raised once
    // (concurrent batches raised it twice, and the second failed). A batch id stored
    // before claims nothing, takes no lock and rolls the copied rows back: a resend
    // costs a wasted COPY, every first send a round trip less.
    const { rows: [claim] } = await trx.raw(
      `WITH claim AS (
         INSERT INTO telemetry_batches (batch_id, device_id, tenant_id, samples) VALUES (?, ?, ?, ?)
         ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id
       ) SELECT count(*)::int AS claimed FROM claim, LATERAL (SELECT pg_advisory_xact_lock(hashtextextended(?, 7))) AS site_lock`,
      [input.batchId, input.deviceId, tenantId, samples.length, `telemetry:site:${siteId}`],
    )
    if (claim.claimed !== 1) throw new StoredBefore()
    const { rows } = await trx.raw(
      `SELECT m.id AS miner_id, l.miner_id IS NOT NULL AS has_live,
              l.online, l.hashrate_ths, l.hashrate_ewma_ths, l.temp_chip_max_c, l.accepted_shares, l.rejected_shares,
              (SELECT array_agg(a.type) FROM alerts a WHERE a.miner_id = m.id AND a.cleared_at IS NULL) AS open_alerts,
              s.temp_limit_c, s.hashrate_drop_share, s.reject_rate_limit
         FROM hosting_miners m
         LEFT JOIN miner_live l ON l.miner_id = m.id
         LEFT JOIN site_alert_settings s ON s.site_id = m.site_id
        WHERE m.tenant_id = ? AND m.site_id = ? AND m.id = ANY(?::uuid[])`,
      [tenantId, siteId, pgArray(ids)],
    )
    const states = rows as (MinerState & Partial<AlertThresholds>)[]
    if (states.length !== ids.length) throw new Forbidden('store telemetry', 'the batch names miners that are not on this device\'s site; nothing was stored')
    const first = states[0]!
    const limits: AlertThresholds = first.temp_limit_c == null ? DEFAULT_THRESHOLDS
      : { temp_limit_c: first.temp_limit_c, hashrate_drop_share: first.hashrate_drop_share!, reject_rate_limit: first.reject_rate_limit! }
    await applyLive(trx, tenantId, siteId, samples, states, limits)
    return true
  }).catch((error) => {
    if (error instanceof StoredBefore) return false
    throw error
  })
}

/** Rolls back a batch whose id was stored before. */
class StoredBefore extends Error {}

/** One sample as its raw telemetry row (the benchmark's COPY baseline stores the same). */
export function telemetryRow(input: Pick<TelemetryBatchInput, 'tenantId' | 'siteId' | 'batchId'>, s: TelemetrySample): CopyValue[] {
  const detail = {
    chip_temps_c: s.chip_temps_c, board_temps_c: s.board_temps_c, ambient_c: s.ambient_c, fans_rpm: s.fans_rpm,
    model: s.model, firmware: s.firmware, pool_status: s.pool_status, error: s.error ?? null, warnings: s.warnings,
  }
  return [input.tenantId, input.siteId, s.miner_id, s.at, s.online, s.hashrate_ths, s.hashrate_avg_ths, s.accepted_shares, s.rejected_shares,
    s.stale_shares, s.hardware_errors, maxOf(s.chip_temps_c), s.power_w, s.uptime_s, JSON.stringify(detail), input.batchId]
}

/** Live state, alerts and stream events for a batch whose raw rows are stored. */
async function applyLive(trx: Knex.Transaction, tenantId: string, siteId: string, samples: readonly TelemetrySample[], states: MinerState[], limits: AlertThresholds): Promise<void> {
  const live = new Map<string, LiveState | undefined>(states.map((r) => [r.miner_id, r.has_live ? r : undefined]))
  const open = new Map<string, Set<AlertType>>(states.map((r) => [r.miner_id, new Set(r.open_alerts ?? [])]))

  const raised: RaisedAlert[] = []
  const raisedHere = new Map<string, RaisedAlert>()
  const cleared: { miner_id: string; type: AlertType; at: string }[] = []
  const alertEvents: { type: string; data: Record<string, unknown> }[] = []
  const latest = new Map<string, { s: TelemetrySample; temp: number | null; ewma: number | null }>()
  // In time order (timestamps may carry any offset); the sort key is parsed once per sample.
  const ordered = samples.map((s) => ({ s, t: Date.parse(s.at) })).sort((a, b) => a.t - b.t)
  for (const { s } of ordered) {
    const temp = maxOf(s.chip_temps_c)
    const openNow = open.get(s.miner_id)!
    const figures = { online: s.online, hashrate_ths: s.hashrate_ths, temp_chip_max_c: temp, accepted_shares: s.accepted_shares, rejected_shares: s.rejected_shares }
    const { next, verdicts } = evaluate(live.get(s.miner_id), figures, limits, openNow)
    live.set(s.miner_id, next)
    for (const type of ALERT_TYPES) {
      const v = verdicts[type]
      // Most samples change no alert: only a change needs its key and its records.
      if (v === undefined || v.active === openNow.has(type)) continue
      const key = `${s.miner_id}|${type}`
      if (v.active) {
        openNow.add(type)
        const alert: RaisedAlert = { miner_id: s.miner_id, type, value: v.value, threshold: v.threshold, at: s.at, cleared_at: null }
        raised.push(alert)
        raisedHere.set(key, alert)
        alertEvents.push({ type: 'alert.raised', data: { site_id: siteId, miner_id: s.miner_id, type, value: v.value, threshold: v.threshold, at: s.at } })
      } else {
        openNow.delete(type)
        const here = raisedHere.get(key)
        if (here) here.cleared_at = s.at
        else cleared.push({ miner_id: s.miner_id, type, at: s.at })
        raisedHere.delete(key)
        alertEvents.push({ type: 'alert.cleared', data: { site_id: siteId, miner_id: s.miner_id, type, at: s.at } })
      }
    }
    latest.set(s.miner_id, { s, temp, ewma: next.hashrate_ewma_ths })
  }

  const rows = [...latest.values()].map(({ s, temp, ewma }) => ({
    miner_id: s.miner_id, at: s.at, online: s.online, hashrate_ths: s.hashrate_ths, hashrate_ewma_ths: ewma,
    temp_chip_max_c: temp, power_w: s.power_w, accepted_shares: s.accepted_shares, rejected_shares: s.rejected_shares,
  }))
  // Miners with live state (all but new ones) are updated in place; an UPDATE costs less
  // than the speculative insert of INSERT … ON CONFLICT. New miners are inserted, and a
  // concurrent batch that inserted one first turns the insert into the same update.
  const known = new Set(states.filter((r) => r.has_live).map((r) => r.miner_id))
  const existing = rows.filter((r) => known.has(r.miner_id))
  const fresh = rows.filter((r) => !known.has(r.miner_id))
  // Each column as one typed array: PostgreSQL reads them about twice as fast as
  // json_to_recordset parses the same rows from JSON text.
  const columns = (of: typeof rows): string[] => [
    pgArray(of.map((r) => r.miner_id)), pgArray(of.map((r) => r.at)), pgArray(of.map((r) => r.online)), pgArray(of.map((r) => r.hashrate_ths)),
    pgArray(of.map((r) => r.hashrate_ewma_ths)), pgArray(of.map((r) => r.temp_chip_max_c)), pgArray(of.map((r) => r.power_w)),
    pgArray(of.map((r) => r.accepted_shares)), pgArray(of.map((r) => r.rejected_shares)),
  ]
  const LIVE_ROWS = `unnest(?::uuid[], ?::timestamptz[], ?::boolean[], ?::float8[], ?::float8[], ?::float8[], ?::float8[], ?::bigint[], ?::bigint[])
    AS r(miner_id, at, online, hashrate_ths, hashrate_ewma_ths, temp_chip_max_c, power_w, accepted_shares, rejected_shares)`
  const SET_LIVE = `at = r.at, online = r.online, hashrate_ths = r.hashrate_ths, hashrate_ewma_ths = r.hashrate_ewma_ths,
    temp_chip_max_c = r.temp_chip_max_c, power_w = r.power_w, accepted_shares = r.accepted_shares, rejected_shares = r.rejected_shares`
  if (existing.length) {
    await trx.raw(`UPDATE miner_live l SET ${SET_LIVE} FROM ${LIVE_ROWS} WHERE l.miner_id = r.miner_id AND l.at <= r.at`, columns(existing))
  }
  if (fresh.length) {
    await trx.raw(
      `INSERT INTO miner_live (miner_id, tenant_id, site_id, at, online, hashrate_ths, hashrate_ewma_ths, temp_chip_max_c, power_w, accepted_shares, rejected_shares)
       SELECT r.miner_id, ?, ?, r.at, r.online, r.hashrate_ths, r.hashrate_ewma_ths, r.temp_chip_max_c, r.power_w, r.accepted_shares, r.rejected_shares
         FROM ${LIVE_ROWS}
       ON CONFLICT (miner_id) DO UPDATE SET ${SET_LIVE.replace(/r\./g, 'EXCLUDED.')} WHERE miner_live.at <= EXCLUDED.at`,
      [tenantId, siteId, ...columns(fresh)],
    )
  }
  // Clears first: a miner's alert cleared and raised again in one batch then stays unique while open.
  if (cleared.length) {
    await trx.raw(
      `UPDATE alerts a SET cleared_at = c.at FROM json_to_recordset(?::json) AS c(miner_id uuid, type text, at timestamptz)
        WHERE a.miner_id = c.miner_id AND a.type = c.type AND a.cleared_at IS NULL`,
      [JSON.stringify(cleared)],
    )
  }
  if (raised.length) {
    await trx.raw(
      `INSERT INTO alerts (tenant_id, site_id, miner_id, type, value, threshold, raised_at, cleared_at)
       SELECT ?, ?, r.miner_id, r.type, r.value, r.threshold, r.at, r.cleared_at
         FROM json_to_recordset(?::json) AS r(miner_id uuid, type text, value float8, threshold float8, at timestamptz, cleared_at timestamptz)`,
      [tenantId, siteId, JSON.stringify(raised)],
    )
  }

  // The telemetry event carries the site's totals after this batch, computed where the rows are.
  const figures = rows.map((r) => ({ miner_id: r.miner_id, at: r.at, online: r.online, hashrate_ths: r.hashrate_ths, temp_chip_max_c: r.temp_chip_max_c, power_w: r.power_w }))
  await trx.raw(
    `INSERT INTO stream_events (tenant_id, site_id, type, data)
     SELECT ?::uuid, ?::uuid, 'telemetry', json_build_object('site_id', ?::uuid, 'totals', (
       SELECT row_to_json(t) FROM (
         SELECT count(*)::int AS miners, count(*) FILTER (WHERE online)::int AS online,
                coalesce(sum(hashrate_ths) FILTER (WHERE online), 0)::float8 AS hashrate_ths,
                coalesce(sum(power_w) FILTER (WHERE online), 0)::float8 AS power_w,
                (SELECT count(DISTINCT miner_id)::int FROM alerts WHERE site_id = ? AND cleared_at IS NULL) AS alerting
           FROM miner_live WHERE site_id = ?) t), 'miners', ?::json)
     UNION ALL
     SELECT ?::uuid, ?::uuid, e.type, e.data FROM json_to_recordset(?::json) AS e(type text, data json)`,
    [tenantId, siteId, siteId, siteId, siteId, JSON.stringify(figures), tenantId, siteId, JSON.stringify(alertEvents)],
  )
}
