/**
 * Pull: pages through GET /api/sync from the stored cursor and writes each page's
 * miners, with the page's cursor, in one IndexedDB transaction, so a tab closed
 * mid-pull resumes from the last page it stored. The next page is fetched while
 * the current one is written. A stored miner newer than the pulled one is kept
 * (the pull may have started before this device's own push landed).
 */
import type { IDBPTransaction } from 'idb'
import type { PullResponse, SyncedMiner } from '../shared/api_types.ts'
import type { HashInsightDB } from '../shared/db.ts'
import { api } from './api.ts'
import { db } from './store.ts'

/** Miners per page: the API's maximum, so a fresh 10 000-miner farm is ten pages. */
const PAGE_SIZE = 1000

function fetchPage(token: string, cursor: string | undefined): Promise<PullResponse> {
  return api<PullResponse>('GET', `/api/sync?limit=${PAGE_SIZE}${cursor ? `&since=${encodeURIComponent(cursor)}` : ''}`, token)
}

/** A read-write transaction that covers at least `miners`. */
export type MinerWriteTx = Pick<IDBPTransaction<HashInsightDB, 'miners'[], 'readwrite'>, 'objectStore'>
type MinerStore = ReturnType<MinerWriteTx['objectStore']>

/**
 * Writes pulled miners with both of their blocks, one record each (a put costs
 * about 0.1 ms however small, so records are what a pull costs), unless the
 * stored copy is newer. Runs inside the caller's transaction on `miners`.
 * @param ordered the miners come sorted by id (a snapshot page): one range read finds the stored ones
 * @returns the ids of the miners written
 */
export async function storeSyncedMiners(tx: MinerWriteTx, synced: SyncedMiner[], ordered = false): Promise<string[]> {
  const miners = tx.objectStore('miners')
  const known = await storedRevisions(miners, synced, ordered)
  const written: string[] = []
  for (const s of synced) {
    if ((known.get(s.miner.id) ?? 0) > s.miner.revision) continue
    written.push(s.miner.id)
    void miners.put({ ...s.miner, blocks: { credentials: s.encrypted_credentials, connection_full: s.encrypted_connection_full } })
  }
  return written
}

/** The stored revision of each pulled miner this device already has. */
async function storedRevisions(miners: MinerStore, synced: SyncedMiner[], ordered: boolean): Promise<Map<string, number>> {
  const first = synced[0]?.miner.id
  const last = synced.at(-1)?.miner.id
  if (!first || !last) return new Map()
  const stored = ordered
    ? await miners.getAll(IDBKeyRange.bound(first, last))
    : (await Promise.all(synced.map((s) => miners.get(s.miner.id)))).filter((m) => m !== undefined)
  return new Map(stored.map((m) => [m.id, m.revision]))
}

async function storePage(tenantId: string, page: PullResponse, snapshot: boolean): Promise<string[]> {
  // Relaxed: a page lost to a power cut is pulled again, since its cursor is lost with it.
  const tx = (await db()).transaction(['miners', 'sync'], 'readwrite', { durability: 'relaxed' })
  const [written] = await Promise.all([
    storeSyncedMiners(tx, page.miners, snapshot),
    tx.objectStore('sync').put({ tenantId, cursor: page.cursor, syncedAt: Date.now() }),
    tx.done,
  ])
  return written
}

/**
 * Pulls every change after this device's cursor into IndexedDB.
 * @param onPage called after each stored page with the miners it wrote
 * @returns how many miners were written
 */
export async function pullChanges(token: string, tenantId: string, onPage: (ids: string[]) => void = () => {}): Promise<number> {
  const cursor = (await (await db()).get('sync', tenantId))?.cursor
  let next = fetchPage(token, cursor)
  let written = 0
  // Snapshot pages (no cursor yet, or `s.…`) list miners by id; feed pages by change.
  let snapshot = !cursor || cursor.startsWith('s.')
  for (;;) {
    const page = await next
    if (page.has_more) {
      next = fetchPage(token, page.cursor)
      // Failing here would leave the prefetch unobserved; its error surfaces when awaited.
      next.catch(() => undefined)
    }
    const ids = await storePage(tenantId, page, snapshot)
    written += ids.length
    onPage(ids)
    if (!page.has_more) return written
    snapshot = page.cursor.startsWith('s.')
  }
}
