/**
 * Bookkeeping of data-key rotations (key_rotations): which blocks are still under
 * the old kid, read straight from the blocks' clear `kid` field, so progress needs
 * no counter the client could get wrong and an interrupted rotation resumes from
 * the truth. Version 1 blocks (passphrase-based) and pool-key history are not under
 * the data key and are not counted.
 */
import type { Knex } from 'knex'
import type { RemainingBlocks, RotationView } from '../schemas/key_rotation.ts'

export interface RotationRow {
  id: string
  tenant_id: string
  change_request_id: string
  status: RotationView['status']
  old_kid: string | null
  new_kid: string | null
  old_keyring: RotationView['old_keyring']
  blocks_total: number | null
  blocks_done: number
  created_at: Date
  started_at: Date | null
  completed_at: Date | null
}

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString())

/** A row as the API answers it, with the progress computed from `remaining`. */
export function rotationView(row: RotationRow, remaining: RemainingBlocks | null): RotationView {
  const done = row.status === 'COMPLETED' ? (row.blocks_total ?? 0) : row.blocks_total !== null && remaining ? Math.max(0, row.blocks_total - remaining.count) : 0
  return {
    id: row.id, change_request_id: row.change_request_id, status: row.status, old_kid: row.old_kid, new_kid: row.new_kid,
    old_keyring: row.old_keyring, blocks_total: row.blocks_total, blocks_done: done,
    created_at: iso(row.created_at)!, started_at: iso(row.started_at), completed_at: iso(row.completed_at),
  }
}

/** The tenant's open rotation (locked when `forUpdate`), if any. */
export function openRotation(db: Knex, tenantId: string, forUpdate = false): Promise<RotationRow | undefined> {
  return db('key_rotations').where({ tenant_id: tenantId }).whereNot({ status: 'COMPLETED' })
    .modify((q) => (forUpdate ? q.forUpdate() : q)).first()
}

/** Every block of the tenant still encrypted under `kid`. */
export async function blocksUnder(db: Knex, tenantId: string, kid: string): Promise<RemainingBlocks> {
  const miners: { id: string; creds: boolean; conn: boolean }[] = await db('hosting_miners')
    .where({ tenant_id: tenantId })
    .andWhere((q) => q.whereRaw("encrypted_credentials->>'kid' = ?", [kid]).orWhereRaw("encrypted_connection_full->>'kid' = ?", [kid]))
    .orderBy('id')
    .select('id', db.raw("coalesce(encrypted_credentials->>'kid' = ?, false) AS creds", [kid]), db.raw("coalesce(encrypted_connection_full->>'kid' = ?, false) AS conn", [kid]))
  const poolKeys: string[] = await db('secret_blocks').where({ tenant_id: tenantId }).whereRaw("block->>'kid' = ?", [kid]).orderBy('id').pluck('id')
  const listed = miners.map((m) => ({ id: m.id, kinds: [...(m.creds ? ['credentials' as const] : []), ...(m.conn ? ['connection_full' as const] : [])] }))
  return { miners: listed, pool_keys: poolKeys, count: listed.reduce((n, m) => n + m.kinds.length, 0) + poolKeys.length }
}
