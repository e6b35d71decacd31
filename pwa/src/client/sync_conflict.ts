/**
 * A sync conflict: another device saved a miner first. Both copies stay in
 * IndexedDB (this device's in its outbox entries, the server's in the conflicted
 * entry) until the owner keeps one or merges them field by field. The choice is
 * one new edit on the server's revision, encrypted with a counter above both
 * copies, so the anti-rollback counters keep rising; the superseded edits leave
 * the outbox in the same transaction.
 */
import type { Credentials, FullConnection, QueuedChange, StoredBlock } from '../shared/api_types.ts'
import type { OutboxEntry } from '../shared/db.ts'
import { cryptoBridge } from './crypto_bridge.ts'
import { refreshOutbox } from './outbox.ts'
import { db } from './store.ts'
import { storeSyncedMiners } from './sync_pull.ts'

/** The fields one side shows; null when that side holds no block (full E2EE off, or nothing saved). */
export type CopyFields = Partial<Credentials & FullConnection> | null

export interface ConflictCopy {
  fields: CopyFields
  /** The block's counter (0 for none or v1). */
  counter: number
  /** Why the fields are missing or what else this side changes, in words. */
  note?: string
}

export interface ConflictSides {
  entry: OutboxEntry
  /** This device's newest queued copy of the same miner and kind. */
  newest: OutboxEntry
  local: ConflictCopy
  server: ConflictCopy
}

/** The owner's choice: the server's copy as it is, this device's, or a merge of both sides' fields. */
export type Resolution = { keep: 'server' } | { keep: 'local'; sides: ConflictSides } | { merged: Partial<Credentials & FullConnection>; sides: ConflictSides }

const counterOf = (block: StoredBlock | null | undefined) => block?.counter ?? 0

async function openCopy(entry: OutboxEntry, block: StoredBlock | null, note?: string): Promise<ConflictCopy> {
  if (!block) return { fields: null, counter: 0, ...(note ? { note } : {}) }
  try {
    const fields = (await cryptoBridge().call('decryptCopy', { kind: entry.kind, subjectId: entry.minerId, block })) as CopyFields
    return { fields, counter: counterOf(block) }
  } catch (error) {
    return { fields: null, counter: counterOf(block), note: `Cannot decrypt this copy: ${(error as Error).message}` }
  }
}

const changeBlock = (change: QueuedChange) => ('block' in change ? change.block : null)

/** Same miner, same kind, queued at or after the conflicted edit: what the owner's choice replaces. */
async function supersededBy(entry: OutboxEntry): Promise<OutboxEntry[]> {
  const all = await (await db()).getAllFromIndex('outbox', 'by_miner', entry.minerId)
  return all.filter((e) => e.kind === entry.kind && e.createdAt >= entry.createdAt && e.status !== 'rejected').sort((a, b) => a.createdAt - b.createdAt)
}

/** Decrypts both sides of a conflict in the crypto worker, for showing side by side. */
export async function openConflictSides(entry: OutboxEntry): Promise<ConflictSides> {
  const newest = (await supersededBy(entry)).at(-1) ?? entry
  const serverBlock = entry.kind === 'credentials' ? entry.server?.encrypted_credentials : entry.server?.encrypted_connection_full
  const off = (c: QueuedChange) => (c.kind === 'connection_full' && !c.use_full_e2ee ? `Full encryption off, address ${c.ip_address}:${c.port ?? 4028}` : undefined)
  return {
    entry,
    newest,
    local: await openCopy(entry, changeBlock(newest.change), off(newest.change)),
    server: await openCopy(entry, serverBlock ?? null, entry.server && !entry.server.miner.use_full_e2ee && entry.kind === 'connection_full' ? 'Full encryption off on the server' : undefined),
  }
}

/** The change the owner's choice makes, or null when the server's copy stands as it is. */
async function chosenChange(resolution: Resolution): Promise<QueuedChange | null> {
  if (!('sides' in resolution)) return null
  const { entry, newest, local, server } = resolution.sides
  const value = 'merged' in resolution ? resolution.merged : local.fields
  // Full E2EE switched off here has no block to re-encrypt: the switch itself is the change.
  if (value === null || (newest.change.kind === 'connection_full' && !newest.change.use_full_e2ee)) return newest.change
  const kind = entry.kind === 'credentials' ? 'credentials' : 'connection_full'
  const block = await cryptoBridge().call('encrypt', { kind, subjectId: entry.minerId, minCounter: Math.max(local.counter, server.counter) + 1, value })
  return kind === 'credentials' ? { kind, block } : { kind, use_full_e2ee: true, block }
}

/**
 * Applies the owner's choice: the conflicted edit and the later ones of the same
 * kind leave the outbox, the choice (unless it is the server's copy) is queued on
 * the server's revision, and the miner's other queued edits follow it.
 */
export async function resolveConflict(entry: OutboxEntry, resolution: Resolution): Promise<void> {
  const server = entry.server
  if (!server) throw new Error('Cannot resolve the conflict: the server\'s copy is missing; sync again')
  const change = await chosenChange(resolution)
  const replaced = new Set((await supersededBy(entry)).map((e) => e.id))
  const tx = (await db()).transaction(['outbox', 'miners'], 'readwrite')
  const outbox = tx.objectStore('outbox')
  const base = server.miner.revision
  for (const other of await outbox.index('by_miner').getAll(entry.minerId)) {
    if (replaced.has(other.id)) void outbox.delete(other.id)
    else if (other.status !== 'rejected') void outbox.put({ ...other, baseRevision: base })
  }
  if (change) {
    void outbox.put({
      id: crypto.randomUUID(), createdAt: entry.createdAt, tenantId: entry.tenantId, minerId: entry.minerId, kind: entry.kind,
      change, baseRevision: base, status: 'pending', attempts: 0,
    })
  }
  await storeSyncedMiners(tx, [server])
  await tx.done
  await refreshOutbox()
}
