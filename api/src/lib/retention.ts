/**
 * Telemetry housekeeping, run by one API node at a time (an advisory lock):
 * roll raw samples up into 5-minute buckets, then drop raw samples and rollups
 * past their retention (TELEMETRY_RAW_HOURS, TELEMETRY_ROLLUP_DAYS; pool statistics
 * as long as rollups) and stream events older than an hour.
 * A bucket is rolled up once it has closed (plus a grace period), and the last
 * REROLL_HOURS are rolled up again on every round, so batches an edge delivers late
 * from its spool still reach the charts.
 */
import type { Knex } from 'knex'

/** How long raw samples and their 5-minute rollups are kept. */
export interface Retention {
  rawHours: number
  rollupDays: number
}
export const DEFAULT_RETENTION: Retention = { rawHours: 48, rollupDays: 90 }
export const STREAM_EVENTS_HOURS = 1
export const REROLL_HOURS = 6
/** Batch ids are remembered this long, so a spool replayed late is still stored once. */
export const BATCH_IDS_DAYS = 30
const GRACE = "interval '2 minutes'"

/** Runs one round; returns false when another node holds the lock. */
export async function runRetention(db: Knex, now = new Date(), keep: Retention = DEFAULT_RETENTION): Promise<boolean> {
  // Rollups are recomputed from the raw samples of the last REROLL_HOURS: those must still be there.
  if (keep.rawHours <= REROLL_HOURS) throw new RangeError(`Cannot run retention: raw samples must be kept more than ${REROLL_HOURS} hours`)
  return db.transaction(async (trx) => {
    const { rows } = await trx.raw("SELECT pg_try_advisory_xact_lock(hashtextextended('telemetry:retention', 7)) AS locked")
    if (!rows[0].locked) return false
    const state = await trx('rollup_state').where({ name: 'telemetry_5m' }).first('done_until')
    const from = state
      ? new Date(new Date(state.done_until).getTime() - REROLL_HOURS * 3_600_000)
      : (await trx('telemetry').min('at as at').first())?.at
    if (from) {
      const until = (await trx.raw(`SELECT date_bin(interval '5 minutes', ?::timestamptz - ${GRACE}, 'epoch') AS t`, [now])).rows[0].t
      if (new Date(until) > new Date(from)) {
        await trx.raw(
          `INSERT INTO telemetry_5m (miner_id, tenant_id, site_id, bucket, samples, online_samples, hashrate_ths_avg, temp_chip_max_c, power_w_avg)
           SELECT miner_id, tenant_id, site_id, date_bin(interval '5 minutes', at, 'epoch'), count(*), count(*) FILTER (WHERE online),
                  avg(hashrate_ths) FILTER (WHERE online), max(temp_chip_max_c), avg(power_w) FILTER (WHERE online)
             FROM telemetry WHERE at >= date_bin(interval '5 minutes', ?::timestamptz, 'epoch') AND at < ?
            GROUP BY 1, 2, 3, 4
           ON CONFLICT (miner_id, bucket) DO UPDATE SET samples = EXCLUDED.samples, online_samples = EXCLUDED.online_samples,
             hashrate_ths_avg = EXCLUDED.hashrate_ths_avg, temp_chip_max_c = EXCLUDED.temp_chip_max_c, power_w_avg = EXCLUDED.power_w_avg`,
          [from, until],
        )
        await trx.raw(
          `INSERT INTO rollup_state (name, done_until) VALUES ('telemetry_5m', ?) ON CONFLICT (name) DO UPDATE SET done_until = EXCLUDED.done_until`,
          [until],
        )
      }
    }
    await trx.raw(`DELETE FROM telemetry WHERE at < ?::timestamptz - make_interval(hours => ?)`, [now, keep.rawHours])
    await trx.raw(`DELETE FROM telemetry_5m WHERE bucket < ?::timestamptz - make_interval(days => ?)`, [now, keep.rollupDays])
    await trx.raw(`DELETE FROM stream_events WHERE at < ?::timestamptz - interval '${STREAM_EVENTS_HOURS} hours'`, [now])
    await trx.raw(`DELETE FROM telemetry_batches WHERE received_at < ?::timestamptz - interval '${BATCH_IDS_DAYS} days'`, [now])
    // Pool statistics are history like the rollups, kept as long.
    await trx.raw(`DELETE FROM pool_key_stats WHERE received_at < ?::timestamptz - make_interval(days => ?)`, [now, keep.rollupDays])
    return true
  })
}
