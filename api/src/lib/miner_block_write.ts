/**
 * The fast path of a secret write: one autocommitted statement that updates the
 * miner only if every rule holds (tenant, visible site, keyring, counter) and
 * records the audit event with it. When it changes nothing, the route runs the
 * slow path — a transaction with the rules in TypeScript (access.ts,
 * block_rules.ts) — which either explains the refusal or, after a race, writes.
 * So these SQL conditions may be narrower than the TypeScript rules, never wider;
 * the refusal tests prove each one holds.
 */
import type { Knex } from 'knex'

type Binding = Knex.Value
import type { Block } from '../../../e2ee/schema.ts'
import type { MinerRow } from '../models/miner.ts'
import type { Actor } from '../plugins/app/auth.ts'

export type BlockColumn = 'encrypted_credentials' | 'encrypted_connection_full'

export interface BlockWrite {
  column: BlockColumn
  /** The new block, or null to clear the column (no replacement rule then). */
  block: Block | null
  /** Other columns set with it. */
  patch?: Partial<Pick<MinerRow, 'use_full_e2ee' | 'ip_address' | 'port'>>
  action: string
  details: Record<string, unknown>
}

// The replacement rules of block_rules.ts as a condition on the stored column.
function blockCondition(column: BlockColumn, block: Block | null): [string, Binding[]] {
  if (!block) return ['', []]
  if (block.version === 1) return [` AND (${column} IS NULL OR ${column}->>'version' = '1')`, []]
  return [
    ` AND EXISTS (SELECT 1 FROM keyrings k WHERE k.tenant_id = hosting_miners.tenant_id AND k.kid = ?)
      AND (${column} IS NULL OR ${column}->>'version' = '1' OR (${column}->>'counter')::bigint < ?)`,
    [block.kid, block.counter],
  ]
}

/** What a block write returns: enough for the secret routes' responses. */
export type WrittenMiner = Pick<MinerRow, 'id' | 'site_id' | 'use_full_e2ee' | 'encrypted_credentials' | 'encrypted_connection_full'>

/** Tries the one-statement write; returns the updated row, or undefined if a rule (or a race) stopped it. */
export async function tryFastBlockWrite(db: Knex, actor: Actor, minerId: string, write: BlockWrite): Promise<WrittenMiner | undefined> {
  const sets: string[] = [`${write.column} = ?::jsonb`]
  const values: Binding[] = [write.block === null ? null : JSON.stringify(write.block)]
  for (const [column, value] of Object.entries(write.patch ?? {})) {
    sets.push(`${db.raw('??', [column]).toQuery()} = ?`)
    values.push(value as Binding)
  }
  const [blockSql, blockValues] = blockCondition(write.column, write.block)
  const siteSql = actor.allowedSiteIds === null ? '' : ' AND site_id = ANY(?::uuid[])'
  const siteValues = actor.allowedSiteIds === null ? [] : [actor.allowedSiteIds]
  const { rows } = await db.raw(
    `WITH upd AS (
       UPDATE hosting_miners SET ${sets.join(', ')}, revision = revision + 1, updated_at = now()
        WHERE id = ? AND tenant_id = ?${siteSql}${blockSql}
       RETURNING id, tenant_id, site_id, use_full_e2ee, encrypted_credentials, encrypted_connection_full
     ), ev AS (
       INSERT INTO audit_events (tenant_id, actor_type, actor_id, action, target_type, target_id, details)
       SELECT tenant_id, 'user', ?, ?, 'miner', id::text, ?::jsonb FROM upd
     )
     SELECT id, site_id, use_full_e2ee, encrypted_credentials, encrypted_connection_full FROM upd`,
    [...values, minerId, actor.tenantId, ...siteValues, ...blockValues, actor.userId, write.action, JSON.stringify(write.details)],
  )
  return rows[0]
}
