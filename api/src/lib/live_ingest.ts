/**
 * What a telemetry batch changes besides the raw rows: each miner's live state,
 * alerts raised or cleared, and the events the stream sends (one per batch with
 * the figures and the site totals, one per alert change). Runs inside the
 * ingest transaction, so a batch stored twice cannot happen and a batch lost
 * changes nothing.
 */
import type { Knex } from 'knex'
import type { TelemetrySample } from '../schemas/edge.ts'
import { DEFAULT_THRESHOLDS, evaluate, type AlertThresholds, type AlertType, type LiveState } from './alerts.ts'

interface LiveRow extends LiveState {
  miner_id: string
}

const maxOf = (values: number[]) => (values.length ? Math.max(...values) : null)

/** Applies a stored batch of one site to live state, alerts and the stream. */
export async function applyLiveBatch(trx: Knex.Transaction, tenantId: string, siteId: string, samples: readonly TelemetrySample[]): Promise<void> {
  const ids = [...new Set(samples.map((s) => s.miner_id))]
  const limits: AlertThresholds = (await trx('site_alert_settings').where({ site_id: siteId }).first('temp_limit_c', 'hashrate_drop_share', 'reject_rate_limit')) ?? DEFAULT_THRESHOLDS
  const live = new Map<string, LiveRow>(
    (await trx('miner_live').whereIn('miner_id', ids).select('miner_id', 'online', 'hashrate_ths', 'hashrate_ewma_ths', 'temp_chip_max_c', 'accepted_shares', 'rejected_shares'))
      .map((r: LiveRow) => [r.miner_id, r]),
  )
  const open = new Map<string, Set<AlertType>>()
  for (const a of await trx('alerts').whereIn('miner_id', ids).whereNull('cleared_at').select('miner_id', 'type')) {
    open.set(a.miner_id, (open.get(a.miner_id) ?? new Set()).add(a.type))
  }

  const raised: { miner_id: string; type: AlertType; value: number | null; threshold: number; at: string }[] = []
  const cleared: { miner_id: string; type: AlertType; at: string }[] = []
  const latest = new Map<string, TelemetrySample & { temp: number | null }>()
  for (const s of [...samples].sort((a, b) => a.at.localeCompare(b.at))) {
    const temp = maxOf(s.chip_temps_c)
    const openNow = open.get(s.miner_id) ?? new Set<AlertType>()
    const { next, verdicts } = evaluate(live.get(s.miner_id), { ...s, temp_chip_max_c: temp }, limits, openNow)
    live.set(s.miner_id, { miner_id: s.miner_id, ...next })
    for (const [type, v] of Object.entries(verdicts) as [AlertType, NonNullable<(typeof verdicts)[AlertType]>][]) {
      if (v.active && !openNow.has(type)) {
        openNow.add(type)
        raised.push({ miner_id: s.miner_id, type, value: v.value, threshold: v.threshold, at: s.at })
      } else if (!v.active && openNow.has(type)) {
        openNow.delete(type)
        cleared.push({ miner_id: s.miner_id, type, at: s.at })
      }
    }
    open.set(s.miner_id, openNow)
    latest.set(s.miner_id, { ...s, temp })
  }

  const rows = [...latest.values()].map((s) => {
    const state = live.get(s.miner_id)!
    return {
      miner_id: s.miner_id, tenant_id: tenantId, site_id: siteId, at: s.at, online: s.online, hashrate_ths: s.hashrate_ths,
      hashrate_ewma_ths: state.hashrate_ewma_ths, temp_chip_max_c: s.temp, power_w: s.power_w,
      accepted_shares: s.accepted_shares, rejected_shares: s.rejected_shares,
    }
  })
  await trx.raw(
    `INSERT INTO miner_live SELECT * FROM jsonb_populate_recordset(NULL::miner_live, ?::jsonb)
     ON CONFLICT (miner_id) DO UPDATE SET at = EXCLUDED.at, online = EXCLUDED.online, hashrate_ths = EXCLUDED.hashrate_ths,
       hashrate_ewma_ths = EXCLUDED.hashrate_ewma_ths, temp_chip_max_c = EXCLUDED.temp_chip_max_c, power_w = EXCLUDED.power_w,
       accepted_shares = EXCLUDED.accepted_shares, rejected_shares = EXCLUDED.rejected_shares
     WHERE miner_live.at <= EXCLUDED.at`,
    [JSON.stringify(rows)],
  )
  for (const a of raised) {
    await trx('alerts').insert({ tenant_id: tenantId, site_id: siteId, miner_id: a.miner_id, type: a.type, value: a.value, threshold: a.threshold, raised_at: a.at })
  }
  for (const c of cleared) {
    await trx('alerts').where({ miner_id: c.miner_id, type: c.type }).whereNull('cleared_at').update({ cleared_at: c.at })
  }

  // The site's totals over every miner it has live state for, after this batch.
  const [totals] = (await trx.raw(
    `SELECT count(*)::int AS miners, count(*) FILTER (WHERE online)::int AS online,
            coalesce(sum(hashrate_ths) FILTER (WHERE online), 0)::float8 AS hashrate_ths,
            coalesce(sum(power_w) FILTER (WHERE online), 0)::float8 AS power_w,
            (SELECT count(DISTINCT miner_id)::int FROM alerts WHERE site_id = ? AND cleared_at IS NULL) AS alerting
       FROM miner_live WHERE site_id = ?`, [siteId, siteId])).rows
  const events = [{
    tenant_id: tenantId, site_id: siteId, type: 'telemetry',
    data: JSON.stringify({
      site_id: siteId, totals,
      miners: rows.map((r) => ({ miner_id: r.miner_id, at: r.at, online: r.online, hashrate_ths: r.hashrate_ths, temp_chip_max_c: r.temp_chip_max_c, power_w: r.power_w })),
    }),
  }]
  for (const a of raised) events.push({ tenant_id: tenantId, site_id: siteId, type: 'alert.raised', data: JSON.stringify({ site_id: siteId, ...a }) })
  for (const c of cleared) events.push({ tenant_id: tenantId, site_id: siteId, type: 'alert.cleared', data: JSON.stringify({ site_id: siteId, ...c }) })
  await trx('stream_events').insert(events)
}
