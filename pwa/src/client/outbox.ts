/**
 * The outbox: every edit is stored here (IndexedDB) before anything is sent, and
 * leaves only once the API's answer to it is stored (sync_push.ts). An edit
 * survives closing the tab. A conflict or a refusal stays, shown to the owner;
 * nothing is dropped silently.
 */
import { signal } from '@preact/signals'
import type { BlockKind, QueuedChange } from '../shared/api_types.ts'
import type { OutboxEntry } from '../shared/db.ts'
import { db } from './store.ts'

/** Every entry not yet delivered, oldest first (the UI shows counts and conflicts). */
export const outboxEntries = signal<OutboxEntry[]>([])

/** Re-reads the outbox into {@link outboxEntries}. */
export async function refreshOutbox(): Promise<OutboxEntry[]> {
  outboxEntries.value = await (await db()).getAllFromIndex('outbox', 'by_created')
  return outboxEntries.value
}

let lastCreatedAt = 0
/** Strictly rising: two edits in one millisecond must keep their order in the by_created index. */
export function nextCreatedAt(): number {
  lastCreatedAt = Math.max(Date.now(), lastCreatedAt + 0.001)
  return lastCreatedAt
}

/** What the editor hands over: one change to one miner. */
export interface NewEdit {
  tenantId: string
  minerId: string
  change: QueuedChange
}

/**
 * Stores edits in the outbox, each on the revision the owner edited: the first
 * queued edit's for that miner (a later edit builds on the earlier one and is
 * rebased when it lands), else the miner's stored revision.
 * @returns the stored entries
 */
export async function enqueue(edits: NewEdit[]): Promise<OutboxEntry[]> {
  const tx = (await db()).transaction(['outbox', 'miners'], 'readwrite')
  const outbox = tx.objectStore('outbox')
  const stored: OutboxEntry[] = []
  const bases = new Map<string, number>()
  for (const edit of edits) {
    let base = bases.get(edit.minerId)
    if (base === undefined) {
      const queued = (await outbox.index('by_miner').getAll(edit.minerId)).filter((e) => e.status !== 'rejected').sort((a, b) => a.createdAt - b.createdAt)
      base = queued[0]?.baseRevision ?? (await tx.objectStore('miners').get(edit.minerId))?.revision ?? 1
      bases.set(edit.minerId, base)
    }
    const entry: OutboxEntry = {
      id: crypto.randomUUID(), createdAt: nextCreatedAt(), tenantId: edit.tenantId, minerId: edit.minerId,
      kind: edit.change.kind, change: edit.change, baseRevision: base, status: 'pending', attempts: 0,
    }
    stored.push(entry)
    void outbox.put(entry)
  }
  await tx.done
  outboxEntries.value = [...outboxEntries.value, ...stored]
  return stored
}

/** The newest queued copy of (miner, kind): the editor shows it over the server's older one. */
export function queuedChange(minerId: string, kind: BlockKind): { entry: OutboxEntry; block: unknown } | null {
  const entries = outboxEntries.value.filter((e) => e.minerId === minerId && e.kind === kind && e.status !== 'rejected')
  const entry = entries[entries.length - 1]
  if (!entry) return null
  return { entry, block: 'block' in entry.change ? entry.change.block : null }
}

/** The miner's open conflict, if any: its later edits wait until the owner chooses. */
export function openConflict(minerId: string): OutboxEntry | undefined {
  return outboxEntries.value.find((e) => e.minerId === minerId && e.status === 'conflict')
}

/** Removes an edit the server refused, on the owner's request. */
export async function discardRejected(id: string): Promise<void> {
  const conn = await db()
  const entry = await conn.get('outbox', id)
  if (entry?.status !== 'rejected') throw new Error('Cannot discard the edit: only a refused edit can be discarded here')
  await conn.delete('outbox', id)
  await refreshOutbox()
}
