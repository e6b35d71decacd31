/**
 * The hash-chained audit log. Every write appends an event in the same
 * transaction as the change; each event's hash covers the previous one, so
 * editing, deleting or reordering any event breaks the chain at that point.
 * Events hold ids and action names only, never a secret or a block.
 */
import { createHash } from 'node:crypto'
import type { Knex } from 'knex'
import { AuditEvent } from '../models/audit_event.ts'

export const GENESIS_HASH = '0'.repeat(64)

export interface AuditInput {
  tenantId: string | null
  actorType: 'user' | 'device' | 'system'
  actorId: string | null
  action: string
  targetType?: string
  targetId?: string
  details?: Record<string, unknown>
}

// JSON with keys sorted at every level, so the hash does not depend on key order.
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value ?? null)
}

type ChainedFields = Pick<AuditEvent, 'prev_hash' | 'tenant_id' | 'actor_type' | 'actor_id' | 'action' | 'target_type' | 'target_id' | 'details' | 'at'>

/** The hash of one event, over its content and the previous event's hash. */
export function eventHash(e: ChainedFields): string {
  const at = e.at instanceof Date ? e.at.toISOString() : new Date(e.at).toISOString()
  return createHash('sha256')
    .update(canonical([e.prev_hash, e.tenant_id, e.actor_type, e.actor_id, e.action, e.target_type, e.target_id, e.details, at]))
    .digest('hex')
}

/** Appends an event inside `trx`, serialised per tenant so the chain never forks. */
export async function appendAudit(trx: Knex.Transaction, input: AuditInput): Promise<AuditEvent> {
  const chain = input.tenantId ?? 'global'
  await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 7))', [`audit:${chain}`])
  const last = await AuditEvent.query(trx)
    .modify((q) => (input.tenantId ? q.where('tenant_id', input.tenantId) : q.whereNull('tenant_id')))
    .orderBy('id', 'desc')
    .select('hash')
    .first()
  const event = {
    tenant_id: input.tenantId,
    actor_type: input.actorType,
    actor_id: input.actorId,
    action: input.action,
    target_type: input.targetType ?? null,
    target_id: input.targetId ?? null,
    details: input.details ?? {},
    // Millisecond precision survives the round trip through timestamptz exactly.
    at: new Date(),
    prev_hash: last?.hash ?? GENESIS_HASH,
  }
  return AuditEvent.query(trx).insert({ ...event, hash: eventHash(event) })
}

export interface ChainCheck {
  ok: boolean
  checked: number
  first_broken_id: string | null
  reason: string | null
}

/** Walks a tenant's chain from the start and reports the first broken link. */
export async function verifyAuditChain(db: Knex, tenantId: string): Promise<ChainCheck> {
  let prev = GENESIS_HASH
  let checked = 0
  let after = 0
  for (;;) {
    const page = await AuditEvent.query(db).where('tenant_id', tenantId).where('id', '>', after).orderBy('id').limit(1000)
    for (const event of page) {
      const id = String(event.id)
      if (event.prev_hash !== prev) {
        return { ok: false, checked, first_broken_id: id, reason: 'previous-hash link does not match the event before it (an event was removed, inserted or reordered)' }
      }
      if (eventHash(event) !== event.hash) {
        return { ok: false, checked, first_broken_id: id, reason: 'content does not match its hash (the event was altered)' }
      }
      prev = event.hash
      checked++
      after = Number(event.id)
    }
    if (page.length < 1000) return { ok: true, checked, first_broken_id: null, reason: null }
  }
}
