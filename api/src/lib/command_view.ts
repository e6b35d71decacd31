/** Commands as members read them: routing metadata, status and per-miner results. */
import type { Knex } from 'knex'
import type { CommandResponse } from '../schemas/commands.ts'

/** A row of `commands` as selected by the routes. */
export interface CommandRow {
  id: string
  tenant_id: string
  site_id: string
  action: CommandResponse['action']
  miner_ids: string[]
  miner_count: number
  issued_by: string
  issued_at: Date
  expires_at: Date
  status: CommandResponse['status']
  refusal_reason: string | null
  refusal_message: string | null
}

/** A row without its miner list, which a summary does not show. */
export type SummaryRow = Omit<CommandRow, 'miner_ids'>

/** Columns of a summary: those of the member view but the miner list. */
export const SUMMARY_COLUMNS = ['id', 'tenant_id', 'site_id', 'action', 'miner_count', 'issued_by', 'issued_at', 'expires_at', 'status', 'refusal_reason', 'refusal_message'] as const

/** Columns of the member view: `sealed` goes to the site's device only. */
export const COMMAND_COLUMNS = [...SUMMARY_COLUMNS, 'miner_ids'] as const

type Counts = CommandResponse['counts']

/** The status a member sees: a command nobody picked up before its expiry is expired. */
function visibleStatus(row: SummaryRow, now: number): CommandRow['status'] {
  return row.status === 'pending' && row.expires_at.getTime() <= now ? 'expired' : row.status
}

/** The summary of a command (no miner list or results), given its result counts. */
export function commandSummary(row: SummaryRow, counts: Omit<Counts, 'pending'>, now = Date.now()): Omit<CommandResponse, 'results' | 'miner_ids'> {
  return {
    id: row.id,
    site_id: row.site_id,
    action: row.action,
    issued_by: row.issued_by,
    issued_at: row.issued_at.toISOString(),
    expires_at: row.expires_at.toISOString(),
    status: visibleStatus(row, now),
    refusal: row.refusal_reason ? { reason: row.refusal_reason, message: row.refusal_message ?? '' } : null,
    counts: { ...counts, pending: Math.max(0, row.miner_count - counts.ok - counts.error - counts.unsupported) },
  }
}

/** The whole view of one command, results in miner order of the command. */
export async function commandView(db: Knex, row: CommandRow): Promise<CommandResponse> {
  const results: { miner_id: string; status: 'ok' | 'error' | 'unsupported'; message: string | null; at: Date }[] =
    await db('command_results').where({ command_id: row.id }).select('miner_id', 'status', 'message', 'at')
  const counts = { ok: 0, error: 0, unsupported: 0 }
  for (const r of results) counts[r.status]++
  return {
    ...commandSummary(row, counts),
    miner_ids: row.miner_ids,
    results: results.map((r) => ({ miner_id: r.miner_id, status: r.status, message: r.message, at: r.at.toISOString() })),
  }
}
