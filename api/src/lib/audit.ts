/**
 * The hash-chained audit log. Every write inserts an event in the same
 * transaction as the change; a sealer (plugins/app/audit_sealer.ts) then links
 * events into each tenant's chain in batches, each hash covering the previous one,
 * so editing, deleting or reordering any sealed event breaks the chain there.
 * Sealing after commit keeps a per-tenant lock off the write path: commits of one
 * tenant never wait for each other's disk flush. Reading or verifying seals first.
 * The hash is one SQL function (migrations), used to seal and to verify.
 * Events hold ids and action names only, never a secret or a block.
 */
import type { Knex } from 'knex'

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

/** Records an event inside `trx` (sealed into the chain shortly after commit). */
export async function appendAudit(trx: Knex.Transaction, input: AuditInput): Promise<void> {
  await trx('audit_events').insert({
    tenant_id: input.tenantId,
    actor_type: input.actorType,
    actor_id: input.actorId,
    action: input.action,
    target_type: input.targetType ?? null,
    target_id: input.targetId ?? null,
    details: JSON.stringify(input.details ?? {}),
  })
}

/**
 * Links unsealed events into their chains, in batches of `batch`.
 * @param wait block until another sealer is done (readers want a complete chain);
 *   false gives up at once (the background sealer will come back)
 * @returns how many events were sealed
 */
export async function sealAudit(db: Knex, wait: boolean, batch = 1000): Promise<number> {
  let total = 0
  for (;;) {
    const { rows } = await db.raw('SELECT audit_seal(?, ?) AS sealed', [batch, wait])
    const sealed = Number(rows[0].sealed)
    total += sealed
    if (sealed < batch) return total
  }
}

export interface ChainCheck {
  ok: boolean
  checked: number
  first_broken_id: string | null
  reason: string | null
}

const PAGE = 1000

/** Seals what is pending, then walks a tenant's chain from the start and reports the first broken link. */
export async function verifyAuditChain(db: Knex, tenantId: string): Promise<ChainCheck> {
  await sealAudit(db, true)
  let prev = GENESIS_HASH
  let checked = 0
  let after = 0
  for (;;) {
    const { rows } = await db.raw(
      `SELECT id, chain_seq, prev_hash, hash,
              audit_event_hash(prev_hash, tenant_id, actor_type, actor_id, action, target_type, target_id, details, at) AS expected
         FROM audit_events WHERE tenant_id = ? AND chain_seq > ? ORDER BY chain_seq LIMIT ${PAGE}`,
      [tenantId, after],
    )
    for (const event of rows as { id: number; chain_seq: number; prev_hash: string; hash: string; expected: string }[]) {
      const id = String(event.id)
      if (event.prev_hash !== prev) {
        return { ok: false, checked, first_broken_id: id, reason: 'previous-hash link does not match the event before it (an event was removed, inserted or reordered)' }
      }
      if (event.expected !== event.hash) {
        return { ok: false, checked, first_broken_id: id, reason: 'content does not match its hash (the event was altered)' }
      }
      prev = event.hash
      checked++
      after = event.chain_seq
    }
    if (rows.length < PAGE) return { ok: true, checked, first_broken_id: null, reason: null }
  }
}
