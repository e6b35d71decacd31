/**
 * IndexedDB access for the page (through `idb`). The UI reads from here first and
 * the network refreshes it; blocks are stored exactly as the API holds them.
 */
import type { BlockKind, Miner, Site } from '../shared/api_types.ts'
import { openAppDb, type LiveRecord, type Session, type StoredKeyring, type StoredMiner } from '../shared/db.ts'

let opened: ReturnType<typeof openAppDb> | undefined
/** The page's connection, opened once. */
export const db = () => (opened ??= openAppDb())

export const getSession = async () => (await db()).get('session', 'current')
export const putSession = async (session: Session) => (await db()).put('session', session, 'current')

/** Signs out: the session, every cached farm record and the sync cursor go; the outbox stays unless `wipe`. */
export async function clearLocalData(wipe: boolean): Promise<void> {
  const conn = await db()
  const stores = ['session', 'keyring', 'sites', 'miners', 'blocks', 'live', 'sync', ...(wipe ? (['outbox', 'device'] as const) : [])] as const
  const tx = conn.transaction([...stores], 'readwrite')
  await Promise.all([...stores.map((name) => tx.objectStore(name).clear()), tx.done])
}

export const getKeyring = async (tenantId: string) => (await db()).get('keyring', tenantId)
export const putKeyring = async (record: StoredKeyring) => (await db()).put('keyring', record)

export const listSites = async () => (await db()).getAll('sites')
/** Replaces the cached sites with the server's list. */
export async function replaceSites(sites: Site[]): Promise<void> {
  const tx = (await db()).transaction('sites', 'readwrite')
  await tx.store.clear()
  await Promise.all([...sites.map((s) => tx.store.put(s)), tx.done])
}

export const listMiners = async (siteId: string) => (await db()).getAllFromIndex('miners', 'by_site', siteId)
export const getMiner = async (id: string) => (await db()).get('miners', id)
export const putMiner = async (miner: Miner) => (await db()).put('miners', miner)
/**
 * Replaces one site's cached miners with the server's list, in one transaction.
 * The list has no blocks: each miner keeps the ones stored (sync brings newer ones).
 */
export async function replaceSiteMiners(siteId: string, miners: Miner[]): Promise<void> {
  const tx = (await db()).transaction('miners', 'readwrite')
  const index = tx.store.index('by_site')
  const blocks = new Map<string, StoredMiner['blocks']>()
  for await (const cursor of index.iterate(siteId)) {
    blocks.set(cursor.value.id, cursor.value.blocks)
    await cursor.delete()
  }
  await Promise.all([...miners.map((m) => tx.store.put(blocks.get(m.id) ? { ...m, blocks: blocks.get(m.id) } : m)), tx.done])
}

/** A miner's stored block of `kind`, or null. */
export const getBlock = async (minerId: string, kind: BlockKind) => (await (await db()).get('miners', minerId))?.blocks?.[kind] ?? null

export const getLive = async (key: string) => (await db()).get('live', key)
export const putLive = async (record: LiveRecord) => (await db()).put('live', record)
