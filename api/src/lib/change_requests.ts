/**
 * The state machine of four-eyes change requests:
 * PENDING → APPROVED → EXECUTED, PENDING → REJECTED, and PENDING/APPROVED → EXPIRED
 * once `expires_at` passes. Expiry is applied whenever requests are read and before
 * every transition, so a stale approval can never be executed. Each step appends an
 * audit event (ids only).
 */
import type { Knex } from 'knex'
import { Conflict, NotFound } from '../errors.ts'
import type { Actor } from '../plugins/app/auth.ts'
import type { ChangeStatus, ChangeView, RequestType, RequestedAction, TargetType } from '../schemas/changes.ts'
import { appendAudit } from './audit.ts'

/** How long a request stays open, from filing to execution. */
export const CHANGE_REQUEST_TTL_MS = 24 * 3600_000

export interface ChangeRow {
  id: string
  tenant_id: string
  request_type: RequestType
  target_type: TargetType
  target_id: string
  reason: string
  requested_action: RequestedAction
  status: ChangeStatus
  requested_by: string
  decided_by: string | null
  decided_at: Date | null
  executed_by: string | null
  executed_at: Date | null
  expires_at: Date
  created_at: Date
}

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString())

/** A row as the API answers it. */
export function changeView(row: ChangeRow, extra: { rotation_id?: string } = {}): ChangeView {
  return {
    id: row.id, request_type: row.request_type, target_type: row.target_type, target_id: row.target_id, reason: row.reason,
    requested_action: row.requested_action ?? {}, status: row.status, requested_by: row.requested_by,
    decided_by: row.decided_by, decided_at: iso(row.decided_at), executed_by: row.executed_by, executed_at: iso(row.executed_at),
    expires_at: iso(row.expires_at)!, created_at: iso(row.created_at)!, ...extra,
  }
}

const OPEN: ChangeStatus[] = ['PENDING', 'APPROVED']

/** Marks the tenant's open requests past their time EXPIRED, with an audit event each. */
export async function expireDue(trx: Knex.Transaction, tenantId: string): Promise<void> {
  const expired: { id: string }[] = await trx('change_requests')
    .where({ tenant_id: tenantId }).whereIn('status', OPEN).andWhere('expires_at', '<=', trx.fn.now())
    .update({ status: 'EXPIRED' }).returning(['id'])
  for (const { id } of expired) {
    await appendAudit(trx, { tenantId, actorType: 'system', actorId: null, action: 'change.expire', targetType: 'change_request', targetId: id })
  }
}

/** Thrown after the transaction that recorded the expiry has committed. */
export class ChangeExpired extends Error {}

/**
 * Locks a request of the actor's tenant for a transition from `from`. An open request
 * past its time is marked EXPIRED and `ChangeExpired` is returned instead, so the
 * caller can commit that and then refuse.
 */
export async function lockForTransition(trx: Knex.Transaction, actor: Actor, id: string, from: ChangeStatus, action: string): Promise<ChangeRow | ChangeExpired> {
  const row: (ChangeRow & { due: boolean }) | undefined = await trx('change_requests')
    .where({ id, tenant_id: actor.tenantId })
    .forUpdate()
    .first('*', trx.raw('expires_at <= now() AS due'))
  if (!row) throw new NotFound('Change request')
  if (OPEN.includes(row.status) && row.due) {
    await trx('change_requests').where({ id }).update({ status: 'EXPIRED' })
    await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'system', actorId: null, action: 'change.expire', targetType: 'change_request', targetId: id })
    return new ChangeExpired()
  }
  if (row.status !== from) throw new Conflict(action, `the request is ${row.status}, not ${from}`)
  const { due: _due, ...rest } = row
  return rest
}

/**
 * Runs a transition in a transaction; if the request turned out expired, the expiry
 * is committed and a 409 thrown afterwards.
 */
export async function transition<T>(db: Knex, action: string, body: (trx: Knex.Transaction) => Promise<T | ChangeExpired>): Promise<T> {
  const result = await db.transaction(body)
  if (result instanceof ChangeExpired) throw new Conflict(action, 'the request expired; file a new one')
  return result
}
