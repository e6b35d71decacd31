/**
 * Each report checked here against the API's own schema before it is spooled: the
 * API refuses a whole batch for one bad report (and a refused batch is dropped), so a
 * pool answer with a figure out of range, or a last share that is no date, becomes
 * that key's `invalid` error and the round's other reports still reach the API. The
 * schema is the API's file itself (typebox only, no Node code), so the limits cannot
 * drift apart.
 */
import { Value } from 'typebox/value'
import { ADDRESS } from '../../api/src/lib/address_text.ts'
import { MAX_REPORTS_PER_BATCH, type PoolStatsBatch, PoolStatsReport } from '../../api/src/schemas/pool_stats.ts'
import { chunks } from '../delivery.ts'

/** True when the API would take `report` (schema, and the route's own checks that need no clock). */
function acceptable(report: PoolStatsReport): boolean {
  return Value.Check(PoolStatsReport, report) && (report.stats === null) !== (report.error === null) &&
    !(report.error && ADDRESS.test(report.error.message))
}

/** "stats/hashrate_ths, stats/last_share_at": the fields at fault (schema names, never values). */
function faultyFields(report: PoolStatsReport): string {
  const paths = [...new Set([...Value.Errors(PoolStatsReport, report)].map((e) => e.instancePath.slice(1)))]
  // typebox also reports each enclosing object and union; name only the innermost fields.
  const innermost = paths.filter((p) => p !== '' && !paths.some((q) => q.startsWith(`${p}/`)))
  return innermost.join(', ') || 'its shape'
}

/**
 * The report as it is, or an `invalid` error report for the same key and time when the
 * API would refuse it; null when even that would be refused (a key id that is not a uuid).
 * @example checkedReport({ ...report, stats: { ...figures, hashrate_ths: -1 } }).error?.kind // 'invalid'
 */
export function checkedReport(report: PoolStatsReport): PoolStatsReport | null {
  if (acceptable(report)) return report
  const what = report.stats ? `the pool's answer has figures the API does not accept (${faultyFields(report)})` : 'the report of its failure has a message the API does not accept'
  const replaced: PoolStatsReport = { pool_key_id: report.pool_key_id, taken_at: report.taken_at, stats: null, error: { kind: 'invalid', message: `Cannot report this key's statistics: ${what}` } }
  return acceptable(replaced) ? replaced : null
}

/** Reports in batches the API takes: each key once, at most MAX_REPORTS_PER_BATCH per batch, each with a fresh id. */
export function poolStatsBatches(reports: readonly PoolStatsReport[]): PoolStatsBatch[] {
  const once = [...new Map(reports.map((r) => [r.pool_key_id, r])).values()]
  return chunks(once, MAX_REPORTS_PER_BATCH).map((part) => ({ batch_id: crypto.randomUUID(), reports: part }))
}
