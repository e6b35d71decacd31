/**
 * Push: sends the outbox through POST /api/sync, each edit with its change id and
 * base revision, and stores every answer in the same IndexedDB transaction that
 * removes the answered edits. A tab closed between the server's answer and that
 * transaction sends the edits again; the server returns its first answers to
 * their change ids, so nothing is applied twice.
 *
 * One edit per miner per request: a later edit of a miner is sent on the revision
 * its predecessor produced, which is only known once that answer is in. A miner
 * with an open conflict sends nothing until the owner has chosen.
 */
import type { ChangeResult, QueuedChange } from '../shared/api_types.ts'
import type { IDBPTransaction } from 'idb'
import type { HashInsightDB, OutboxEntry, StoredMiner } from '../shared/db.ts'
import { api, ApiError } from './api.ts'
import { refreshOutbox } from './outbox.ts'
import { db } from './store.ts'
import { storeSyncedMiners } from './sync_pull.ts'

type PushTx = IDBPTransaction<HashInsightDB, ['outbox', 'miners'], 'readwrite'>

/** The API's cap on changes per request. */
const MAX_PER_PUSH = 500

/** The next edits to send: the oldest pending one of each miner without an open conflict. */
export function nextBatch(entries: OutboxEntry[]): OutboxEntry[] {
  const waiting = new Set(entries.filter((e) => e.status === 'conflict').map((e) => e.minerId))
  const batch: OutboxEntry[] = []
  for (const entry of entries) {
    if (entry.status !== 'pending' || waiting.has(entry.minerId)) continue
    waiting.add(entry.minerId)
    batch.push(entry)
    if (batch.length === MAX_PER_PUSH) break
  }
  return batch
}

const wire = (e: OutboxEntry) => ({ ...e.change, change_id: e.id, subject_id: e.minerId, base_revision: e.baseRevision })

/** The stored miner after an applied change: its new revision, its new block, and what the change made visible. */
function appliedMiner(miner: StoredMiner, change: QueuedChange, revision: number): StoredMiner {
  // Switching full E2EE off clears the connection block: null is what the server holds now.
  const next = { ...miner, revision, blocks: { ...miner.blocks, [change.kind]: 'block' in change ? change.block : null } }
  if (change.kind === 'credentials') return { ...next, has_credentials: true }
  if (change.use_full_e2ee) return { ...next, use_full_e2ee: true, ip_address: null, port: null }
  return { ...next, use_full_e2ee: false, ip_address: change.ip_address, port: change.port ?? 4028 }
}

/** Later edits of the miner built on `entry` now build on what it became. */
async function rebaseAfter(tx: PushTx, entry: OutboxEntry, revision: number): Promise<void> {
  const outbox = tx.objectStore('outbox')
  for (const later of await outbox.index('by_miner').getAll(entry.minerId)) {
    if (later.id !== entry.id && later.baseRevision === entry.baseRevision) void outbox.put({ ...later, baseRevision: revision })
  }
}

/** Stores the answers to one request: one transaction, so an answer is never half kept. */
async function storeAnswers(batch: OutboxEntry[], results: ChangeResult[]): Promise<string[]> {
  const tx = (await db()).transaction(['outbox', 'miners'], 'readwrite')
  const outbox = tx.objectStore('outbox')
  const miners = tx.objectStore('miners')
  const answers = new Map(results.map((r) => [r.change_id, r]))
  const changed: string[] = []
  const work = batch.map(async (entry) => {
    const answer = answers.get(entry.id)
    // No answer to this edit (never expected): it stays pending and goes again.
    if (!answer) return
    if (answer.status === 'applied' && answer.revision !== undefined) {
      await outbox.delete(entry.id)
      await rebaseAfter(tx, entry, answer.revision)
      const known = await miners.get(entry.minerId)
      if (known && known.revision < answer.revision) {
        void miners.put(appliedMiner(known, entry.change, answer.revision))
        changed.push(entry.minerId)
      }
    } else if (answer.status === 'conflict') {
      void outbox.put({ ...entry, status: 'conflict', attempts: entry.attempts + 1, server: answer.current, error: 'Another device saved this miner first: both copies are kept until you choose' })
      if (answer.current) changed.push(...(await storeSyncedMiners(tx, [answer.current])))
    } else {
      void outbox.put({ ...entry, status: 'rejected', attempts: entry.attempts + 1, error: answer.error?.message ?? 'The server refused this edit' })
    }
  })
  await Promise.all([...work, tx.done])
  return changed
}

/** Sends one batch; a batch the API refuses as a whole (400) is split until the bad edit stands alone. */
async function sendBatch(token: string, batch: OutboxEntry[]): Promise<string[]> {
  try {
    const { results } = await api<{ results: ChangeResult[] }>('POST', '/api/sync', token, { changes: batch.map(wire) })
    return storeAnswers(batch, results)
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 400) throw error
    if (batch.length === 1) {
      const [entry] = batch as [OutboxEntry]
      await (await db()).put('outbox', { ...entry, status: 'rejected', attempts: entry.attempts + 1, error: error.message })
      return []
    }
    const half = Math.ceil(batch.length / 2)
    return [...(await sendBatch(token, batch.slice(0, half))), ...(await sendBatch(token, batch.slice(half)))]
  }
}

/**
 * Sends the outbox until nothing is left to send. Throws OfflineError or ApiError
 * (401, 429, 5xx) for the engine to retry later; every answer received before
 * that is stored.
 * @param onStored called after each request's answers are stored, with the miners they changed
 * @returns how many edits were answered
 */
export async function pushOutbox(token: string, onStored: (minerIds: string[]) => void = () => {}): Promise<number> {
  const run = async () => {
    let answered = 0
    for (;;) {
      const batch = nextBatch(await refreshOutbox())
      if (batch.length === 0) return answered
      onStored(await sendBatch(token, batch))
      answered += batch.length
    }
  }
  // Two tabs must not send the same edits at once: the Web Locks API serialises them.
  try {
    return await (navigator.locks ? navigator.locks.request('hashinsight-outbox', run) : run())
  } finally {
    await refreshOutbox()
  }
}
