/**
 * Pull: pages through GET /api/sync from the stored cursor and writes each page's
 * miners and blocks, with the page's cursor, in one IndexedDB transaction, so a
 * tab closed mid-pull resumes from the last page it stored. The next page is
 * fetched while the current one is written. A stored miner newer than the pulled
 * one is kept (the pull may have started before this device's own push landed).
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

/** A read-write transaction that covers at least `miners` and `blocks`. */
export type MinerWriteTx = Pick<IDBPTransaction<HashInsightDB, ('miners' | 'blocks')[], 'readwrite'>, 'objectStore'>

/**
 * Writes pulled miners (and both of their blocks) unless the stored copy is newer.
 * Runs inside the caller's transaction on `miners` and `blocks`.
 * @returns the ids of the miners written
 */
export async function storeSyncedMiners(tx: MinerWriteTx, synced: SyncedMiner[]): Promise<string[]> {
  const miners = tx.objectStore('miners')
  const blocks = tx.objectStore('blocks')
  const written: string[] = []
  await Promise.all(synced.map(async (s) => {
    const known = await miners.get(s.miner.id)
    if (known && known.revision > s.miner.revision) return
    written.push(s.miner.id)
    void miners.put(s.miner)
    void blocks.put({ minerId: s.miner.id, kind: 'credentials', block: s.encrypted_credentials })
    void blocks.put({ minerId: s.miner.id, kind: 'connection_full', block: s.encrypted_connection_full })
  }))
  return written
}

async function storePage(tenantId: string, page: PullResponse): Promise<string[]> {
  const tx = (await db()).transaction(['miners', 'blocks', 'sync'], 'readwrite')
  const [written] = await Promise.all([
    storeSyncedMiners(tx, page.miners),
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
  for (;;) {
    const page = await next
    if (page.has_more) {
      next = fetchPage(token, page.cursor)
      // Failing here would leave the prefetch unobserved; its error surfaces when awaited.
      next.catch(() => undefined)
    }
    const ids = await storePage(tenantId, page)
    written += ids.length
    onPage(ids)
    if (!page.has_more) return written
  }
}
