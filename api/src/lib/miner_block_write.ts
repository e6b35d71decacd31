/**
 * Writing a miner's encrypted block, for the secret routes and for sync.
 *
 * The fast path is one autocommitted statement that updates the miner only if
 * every rule holds (tenant, visible site, keyring, counter, and for sync the base
 * revision), recording the audit event and the sync change id with it. Writes that
 * arrive together share that statement (group_commit.ts), each row under its own
 * caller's rules. When it changes nothing for a write, the slow
 * path — a transaction with the rules in TypeScript (access.ts, block_rules.ts) —
 * either explains the refusal or, after a race, writes. So the SQL conditions may
 * be narrower than the TypeScript rules, never wider; the refusal tests prove each
 * one holds.
 */
import type { Knex } from 'knex'
import pg from 'pg'
import type { Block } from '../../../e2ee/schema.ts'
import type { MinerRow } from '../models/miner.ts'
import type { Actor } from '../plugins/app/auth.ts'
import type { Role } from '../schemas/common.ts'
import { Conflict } from '../errors.ts'
import { lockVisibleMiner } from './access.ts'
import { appendAudit } from './audit.ts'
import { checkBlockReplacement } from './block_rules.ts'
import { GroupCommit } from './group_commit.ts'
import { pgArray } from './pg_array.ts'
import { preparedRows } from './prepared.ts'

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

const appliedResult = (revision: unknown) => JSON.stringify({ status: 'applied', revision: Number(revision) })

interface QueuedWrite { actor: Actor; minerId: string; write: BlockWrite }

// The patch columns' types, for the batch's arrays.
const PATCH_TYPES: Record<string, string> = { use_full_e2ee: 'boolean', ip_address: 'text', port: 'integer' }

// The fast path's statement, one text per column and set of patched columns: the rows'
// values travel as arrays, and each row carries its caller's rules (tenant, visible
// sites, the block replacement rule of block_rules.ts, for sync the base revision). A
// replayed change id fails the whole statement on sync_applied's primary key. The ids
// are passed once more for `m.id = ANY(…)`, so that the generic plan (prepared.ts)
// finds the rows by the primary key whatever the batch's size.
function fastSql(column: BlockColumn, patchKeys: readonly string[]): string {
  const patchArrays = patchKeys.map((key) => `, ?::${PATCH_TYPES[key]}[]`).join('')
  const patchNames = patchKeys.map((key) => `, p_${key}`).join('')
  const patchSets = patchKeys.map((key) => `, ${key} = i.p_${key}`).join('')
  return `WITH i AS (
       SELECT * FROM unnest(?::int[], ?::uuid[], ?::uuid[], ?::text[], ?::jsonb[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::text[], ?::jsonb[], ?::bigint[], ?::uuid[]${patchArrays})
         AS i(ord, id, tenant_id, sites, block, rule, kid, counter, actor_id, action, details, base_revision, change_id${patchNames})
     ), upd AS (
       UPDATE hosting_miners m SET ${column} = i.block${patchSets}, revision = m.revision + 1, updated_at = now()
         FROM i
        WHERE m.id = ANY(?::uuid[]) AND m.id = i.id AND m.tenant_id = i.tenant_id
          AND (i.sites IS NULL OR m.site_id = ANY(i.sites::uuid[]))
          AND (i.base_revision IS NULL OR m.revision = i.base_revision)
          AND CASE i.rule
                WHEN 'none' THEN true
                WHEN 'v1' THEN m.${column} IS NULL OR m.${column}->>'version' = '1'
                ELSE EXISTS (SELECT 1 FROM keyrings k WHERE k.tenant_id = m.tenant_id AND k.kid = i.kid)
                  AND (m.${column} IS NULL OR m.${column}->>'version' = '1' OR (m.${column}->>'counter')::bigint < i.counter)
              END
       RETURNING i.ord, i.actor_id, i.action, i.details, i.change_id, m.tenant_id, m.${RETURNED.split(', ').join(', m.')}
     ), ev AS (
       INSERT INTO audit_events (tenant_id, actor_type, actor_id, action, target_type, target_id, details)
       SELECT tenant_id, 'user', actor_id, action, 'miner', id::text, details FROM upd ORDER BY ord
     ), ap AS (
       INSERT INTO sync_applied (change_id, tenant_id, result)
       SELECT change_id, tenant_id, jsonb_build_object('status', 'applied', 'revision', revision) FROM upd WHERE change_id IS NOT NULL
     )
     SELECT ord, ${RETURNED} FROM upd`
}

const patchKeysOf = (write: BlockWrite) => Object.keys(write.patch ?? {}).sort()

/**
 * Tries writes of one column and patch in one autocommitted statement; returns each
 * updated row, or undefined where a rule (or a race) stopped that write.
 */
async function tryFast(db: Knex, writes: readonly QueuedWrite[]): Promise<(WrittenMiner | undefined)[]> {
  const { column } = writes[0]!.write
  const patchKeys = patchKeysOf(writes[0]!.write)
  const each = <T>(pick: (w: QueuedWrite) => T) => writes.map(pick)
  const ids = pgArray(each((w) => w.minerId))
  const rows = await preparedRows<WrittenMiner & { ord: number }>(db, fastSql(column, patchKeys), [
    pgArray(writes.map((_, ord) => ord)),
    ids,
    pgArray(each((w) => w.actor.tenantId)),
    pgArray(each((w) => (w.actor.allowedSiteIds === null ? null : pgArray(w.actor.allowedSiteIds)))),
    pgArray(each((w) => (w.write.block === null ? null : JSON.stringify(w.write.block)))),
    pgArray(each((w) => (w.write.block === null ? 'none' : w.write.block.version === 1 ? 'v1' : 'v2'))),
    pgArray(each((w) => (w.write.block?.version === 2 ? w.write.block.kid : null))),
    pgArray(each((w) => (w.write.block?.version === 2 ? w.write.block.counter : null))),
    pgArray(each((w) => w.actor.userId)),
    pgArray(each((w) => w.write.action)),
    pgArray(each((w) => JSON.stringify(w.write.details))),
    pgArray(each((w) => w.write.baseRevision)),
    pgArray(each((w) => w.write.changeId)),
    ...patchKeys.map((key) => pgArray(each((w) => (w.write.patch as Record<string, string | number | boolean | null>)[key]))),
    ids,
  ])
  const byOrd = new Array<WrittenMiner | undefined>(writes.length)
  for (const { ord, ...row } of rows) byOrd[ord] = row
  return byOrd
}

// One group commit per database handle (each app has its own).
const batchers = new WeakMap<Knex, GroupCommit<QueuedWrite, WrittenMiner | undefined>>()

function batcherFor(db: Knex): GroupCommit<QueuedWrite, WrittenMiner | undefined> {
  let batcher = batchers.get(db)
  if (!batcher) {
    batcher = new GroupCommit({
      runBatch: (writes) => tryFast(db, writes),
      runOne: async (write) => (await tryFast(db, [write]))[0],
      keyOf: (w) => w.minerId,
      groupOf: (w) => `${w.write.column}:${patchKeysOf(w.write).join(',')}`,
      // An error the server sent means the statement was rolled back.
      changedNothing: (error) => error instanceof pg.DatabaseError,
    })
    batchers.set(db, batcher)
  }
  return batcher
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
  return (await batcherFor(db).submit({ actor, minerId, write })) ?? (await checked(db, actor, minerId, write, what))
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
