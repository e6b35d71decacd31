/**
 * Writing a miner's encrypted block, for the secret routes and for sync.
 *
 * The fast path is one autocommitted statement that updates the miner only if
 * every rule holds (tenant, visible site, keyring, counter, and for sync the base
 * revision), recording the audit event and the sync change id with it. When it
 * changes nothing, the slow path — a transaction with the rules in TypeScript
 * (access.ts, block_rules.ts) — either explains the refusal or, after a race,
 * writes. So the SQL conditions may be narrower than the TypeScript rules, never
 * wider; the refusal tests prove each one holds.
 */
import type { Knex } from 'knex'
import type { Block } from '../../../e2ee/schema.ts'
import type { MinerRow } from '../models/miner.ts'
import type { Actor } from '../plugins/app/auth.ts'
import type { Role } from '../schemas/common.ts'
import { Conflict } from '../errors.ts'
import { lockVisibleMiner } from './access.ts'
import { appendAudit } from './audit.ts'
import { checkBlockReplacement } from './block_rules.ts'
import { preparedRows } from './prepared.ts'

type Binding = Knex.Value

export type BlockColumn = 'encrypted_credentials' | 'encrypted_connection_full'

export interface BlockWrite {
  column: BlockColumn
  /** The new block, or null to clear the column (no replacement rule then). */
  block: Block | null
  /** Other columns set with it. */
  patch?: Partial<Pick<MinerRow, 'use_full_e2ee' | 'ip_address' | 'port'>>
  action: string
  details: Record<string, unknown>
  /** Sync: write only if the miner is still at this revision. */
  baseRevision?: number
  /** Sync: the client's change id, recorded with the write so a replay is recognised. */
  changeId?: string
  /** The approved four-eyes change request this write executes (turning full E2EE off needs one). */
  changeRequestId?: string
}

/** What a block write returns: enough for the secret routes' and sync's answers. */
export type WrittenMiner = Pick<MinerRow, 'id' | 'site_id' | 'revision' | 'use_full_e2ee' | 'encrypted_credentials' | 'encrypted_connection_full'>

/**
 * Thrown by the slow path when a sync change was made on a stale revision. A plain
 * Error: @fastify/error classes match `instanceof` by code, so a subclass of
 * Conflict would also match every other 409.
 */
export class RevisionConflict extends Error {
  readonly statusCode = 409
  constructor(readonly current: MinerRow) {
    super(`Cannot apply the change: the miner is at revision ${current.revision}, not the one the change was made on`)
  }
}

const RETURNED = 'id, site_id, revision, use_full_e2ee, encrypted_credentials, encrypted_connection_full'

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

const appliedResult = (revision: unknown) => JSON.stringify({ status: 'applied', revision: Number(revision) })

/** Tries the one-statement write; returns the updated row, or undefined if a rule (or a race) stopped it. */
async function tryFast(db: Knex, actor: Actor, minerId: string, write: BlockWrite): Promise<WrittenMiner | undefined> {
  const sets: string[] = [`${write.column} = ?::jsonb`]
  const values: Binding[] = [write.block === null ? null : JSON.stringify(write.block)]
  for (const [column, value] of Object.entries(write.patch ?? {})) {
    sets.push(`${db.raw('??', [column]).toQuery()} = ?`)
    values.push(value as Binding)
  }
  const [blockSql, blockValues] = blockCondition(write.column, write.block)
  const siteSql = actor.allowedSiteIds === null ? '' : ' AND site_id = ANY(?::uuid[])'
  const siteValues: Binding[] = actor.allowedSiteIds === null ? [] : [actor.allowedSiteIds]
  const revisionSql = write.baseRevision === undefined ? '' : ' AND revision = ?'
  const revisionValues: Binding[] = write.baseRevision === undefined ? [] : [write.baseRevision]
  // A replayed change id fails the whole statement on sync_applied's primary key.
  const changeSql = write.changeId === undefined ? '' : `, ap AS (
       INSERT INTO sync_applied (change_id, tenant_id, result)
       SELECT ?, tenant_id, jsonb_build_object('status', 'applied', 'revision', revision) FROM upd
     )`
  const changeValues: Binding[] = write.changeId === undefined ? [] : [write.changeId]
  const rows = await preparedRows<WrittenMiner>(db,
    `WITH upd AS (
       UPDATE hosting_miners SET ${sets.join(', ')}, revision = revision + 1, updated_at = now()
        WHERE id = ? AND tenant_id = ?${siteSql}${revisionSql}${blockSql}
       RETURNING tenant_id, ${RETURNED}
     ), ev AS (
       INSERT INTO audit_events (tenant_id, actor_type, actor_id, action, target_type, target_id, details)
       SELECT tenant_id, 'user', ?, ?, 'miner', id::text, ?::jsonb FROM upd
     )${changeSql}
     SELECT ${RETURNED} FROM upd`,
    [...values, minerId, actor.tenantId, ...siteValues, ...revisionValues, ...blockValues,
      actor.userId, write.action, JSON.stringify(write.details), ...changeValues],
  )
  return rows[0]
}

/** The slow path: the rules in TypeScript, in a transaction holding the miner's row. */
async function checked(db: Knex, actor: Actor, minerId: string, write: BlockWrite, what: string): Promise<WrittenMiner> {
  return db.transaction(async (trx) => {
    const { miner, keyringKid } = await lockVisibleMiner(trx, actor, minerId)
    if (write.baseRevision !== undefined && Number(miner.revision) !== write.baseRevision) throw new RevisionConflict(miner)
    if (write.block) checkBlockReplacement(what, miner[write.column], write.block, keyringKid)
    const [row] = await trx('hosting_miners')
      .where({ id: miner.id })
      .update({
        ...write.patch,
        [write.column]: write.block === null ? null : JSON.stringify(write.block),
        revision: trx.raw('revision + 1'),
        updated_at: trx.fn.now(),
      })
      .returning(RETURNED.split(', '))
    await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: write.action, targetType: 'miner', targetId: miner.id, details: write.details })
    if (write.changeId !== undefined) {
      await trx('sync_applied').insert({ change_id: write.changeId, tenant_id: actor.tenantId, result: appliedResult(row.revision) })
    }
    return row as WrittenMiner
  })
}

/**
 * Turning full E2EE off puts an address back in plaintext, so it is a four-eyes
 * action: refused here, where the secret routes and sync both pass, unless an
 * approved change request is executing it (lib/change_actions.ts).
 */
function assertFourEyes(write: BlockWrite, what: string): void {
  if (write.patch?.use_full_e2ee === false && !write.changeRequestId) {
    throw new Conflict(what, 'it needs a four-eyes change request: file POST /api/changes with request_type DISABLE_FULL_E2EE, have another owner or admin approve it, then execute it with the address')
  }
}

/**
 * Writes a block under every rule, or throws the error that says why not
 * (404 not visible, 409 counter/keyring/downgrade or a missing change request,
 * RevisionConflict for sync).
 * @param what the action for error messages ("store credentials")
 */
export async function writeMinerBlock(db: Knex, actor: Actor, minerId: string, write: BlockWrite, what: string): Promise<WrittenMiner> {
  assertFourEyes(write, what)
  return (await tryFast(db, actor, minerId, write)) ?? (await checked(db, actor, minerId, write, what))
}

/**
 * writeMinerBlock inside the caller's transaction (a savepoint), for a change
 * request whose execution must commit with the write or not at all.
 */
export async function writeMinerBlockIn(trx: Knex.Transaction, actor: Actor, minerId: string, write: BlockWrite, what: string): Promise<WrittenMiner> {
  assertFourEyes(write, what)
  return checked(trx, actor, minerId, write, what)
}

// What an audit event may say about a block: its format, never its content.
const blockFacts = (b: Block) => (b.version === 2 ? { version: 2, kid: b.kid, counter: b.counter } : { version: 1 })

/** A secret change as the routes receive it (the seed's routes and sync alike). */
export type SecretChange =
  | { kind: 'credentials'; block: Block }
  | { kind: 'connection_full'; use_full_e2ee: true; block: Block }
  | { kind: 'connection_full'; use_full_e2ee: false; ip_address: string; port?: number }

/** The write a change makes, the role it needs and the words for its errors. */
export function planSecretChange(change: SecretChange): { write: BlockWrite; role: Role; what: string } {
  if (change.kind === 'credentials') {
    return {
      role: 'operator', what: 'store credentials',
      write: { column: 'encrypted_credentials', block: change.block, action: 'miner.credentials.set', details: blockFacts(change.block) },
    }
  }
  if (change.use_full_e2ee) {
    // Full E2EE: the address moves into the block and leaves the row.
    return {
      role: 'operator', what: 'store the encrypted connection',
      write: {
        column: 'encrypted_connection_full', block: change.block, patch: { use_full_e2ee: true, ip_address: null, port: null },
        action: 'miner.full_e2ee.set', details: blockFacts(change.block),
      },
    }
  }
  return {
    role: 'admin', what: 'disable full E2EE',
    write: {
      column: 'encrypted_connection_full', block: null, patch: { use_full_e2ee: false, ip_address: change.ip_address, port: change.port ?? 4028 },
      action: 'miner.full_e2ee.disable', details: {},
    },
  }
}
