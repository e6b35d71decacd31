/**
 * The one IndexedDB schema, opened by the page and by the crypto worker alike.
 * The page keeps what it shows (sites, miners, encrypted blocks, the outbox); the
 * worker keeps the remembered data key and the anti-rollback counters in `device`.
 * Nothing here is plaintext secret: blocks stay encrypted at rest.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb'
import type { BlockKind, LoginResponse, Miner, QueuedChange, Site, StoredBlock, SyncedMiner, WrappedKeyring } from './api_types.ts'

/**
 * One edit made on this device, kept until the API's answer to it is stored.
 * Its id is the change id POST /api/sync remembers, so sending it twice is harmless.
 */
export interface OutboxEntry {
  id: string
  /** Order of the edits (unique per device: ties would let IndexedDB reorder them). */
  createdAt: number
  tenantId: string
  minerId: string
  kind: BlockKind
  change: QueuedChange
  /** The miner's revision this edit was made on; rebased when an earlier edit of the same miner lands. */
  baseRevision: number
  /** pending: not yet answered; conflict: the server has another copy (in `server`); rejected: refused, with `error`. */
  status: 'pending' | 'conflict' | 'rejected'
  attempts: number
  error?: string
  /** conflict: the server's copy when it answered, kept beside this device's until the owner chooses. */
  server?: SyncedMiner
}

/** Where this device is in the tenant's sync feed. */
export interface SyncRecord {
  tenantId: string
  /** The cursor GET /api/sync returned with the last page stored. */
  cursor: string
  syncedAt: number
}

/** The signed-in account: the session token, never a password or passphrase. */
export type Session = LoginResponse

export interface StoredKeyring {
  tenantId: string
  keyring: WrappedKeyring | null
  revision: number | null
}

/**
 * A miner as this device keeps it: the API's metadata and (since v3) both of its
 * encrypted blocks in the same record. One put per miner is what lets a fresh
 * device store a 10 000-miner pull within 2 s; a put costs about 0.1 ms however small.
 */
export interface StoredMiner extends Miner {
  blocks?: MinerBlocks
}

/** A miner's blocks as the server holds them (null: none); a missing kind was never fetched. */
export type MinerBlocks = Partial<Record<BlockKind, StoredBlock | null>>

/** v1–v2 kept blocks here, one record per (miner, kind); the v3 upgrade moves them into `miners`. */
export interface BlockRecord {
  minerId: string
  kind: BlockKind
  block: StoredBlock | null
}

export interface HashInsightDB extends DBSchema {
  session: { key: 'current'; value: Session }
  keyring: { key: string; value: StoredKeyring }
  sites: { key: string; value: Site }
  miners: { key: string; value: StoredMiner; indexes: { by_site: string } }
  blocks: { key: [string, string]; value: BlockRecord }
  outbox: { key: string; value: OutboxEntry; indexes: { by_created: number; by_miner: string } }
  /** One record per tenant: the sync cursor (v3). */
  sync: { key: string; value: SyncRecord }
  /** Worker-owned: `unlocked-key` and `rollback:<tenantId>`. */
  device: { key: string; value: unknown }
  /** The dashboard's last answers (`farm`, `site:<id>`, `alerts:<id>`), shown when offline. Telemetry, not secret. */
  live: { key: string; value: LiveRecord }
}

/** One cached dashboard read and when it was last known to be current. */
export interface LiveRecord {
  key: string
  savedAt: number
  data: unknown
}

export const DB_NAME = 'hashinsight'

/** Opens (and on first use creates) the database. */
export function openAppDb(): Promise<IDBPDatabase<HashInsightDB>> {
  return openDB<HashInsightDB>(DB_NAME, 3, {
    // Each version adds stores; existing ones (and what they hold) are kept.
    async upgrade(db, oldVersion, _newVersion, tx) {
      if (oldVersion < 1) createVersion1(db)
      if (oldVersion < 2) db.createObjectStore('live', { keyPath: 'key' })
      if (oldVersion < 3) await upgradeToSync(db, tx, oldVersion)
    },
    // A newer version opened in another tab: let it upgrade (this tab's update banner asks for a reload).
    blocking(_current, _next, event) {
      ;(event.target as IDBDatabase).close()
    },
  })
}

function createVersion1(db: IDBPDatabase<HashInsightDB>): void {
  db.createObjectStore('session')
  db.createObjectStore('keyring', { keyPath: 'tenantId' })
  db.createObjectStore('sites', { keyPath: 'id' })
  db.createObjectStore('miners', { keyPath: 'id' }).createIndex('by_site', 'site_id')
  db.createObjectStore('blocks', { keyPath: ['minerId', 'kind'] })
  db.createObjectStore('outbox', { keyPath: 'id' }).createIndex('by_created', 'createdAt')
  db.createObjectStore('device')
}

type UpgradeTx = IDBPTransaction<HashInsightDB, StoreNames<HashInsightDB>[], 'versionchange'>

/** A v1/v2 outbox entry: the secret route's path and body, no base revision. */
interface LegacyEntry extends Omit<OutboxEntry, 'change' | 'baseRevision'> {
  body: { encrypted_credentials?: StoredBlock; encrypted_connection_full?: StoredBlock; use_full_e2ee?: boolean; ip_address?: string; port?: number }
}

function legacyChange(entry: LegacyEntry): QueuedChange {
  const { body } = entry
  if (entry.kind === 'credentials') return { kind: 'credentials', block: body.encrypted_credentials! }
  if (body.use_full_e2ee === false) return { kind: 'connection_full', use_full_e2ee: false, ip_address: body.ip_address!, ...(body.port ? { port: body.port } : {}) }
  return { kind: 'connection_full', use_full_e2ee: true, block: body.encrypted_connection_full! }
}

/**
 * v3: the sync cursor store, blocks moved into their miner's record, the outbox
 * indexed by miner, and every queued edit rewritten as a sync change. An old edit never had a base revision; it gets the
 * revision this device last saw, which is what the owner edited.
 */
async function upgradeToSync(db: IDBPDatabase<HashInsightDB>, tx: UpgradeTx, oldVersion: number): Promise<void> {
  db.createObjectStore('sync', { keyPath: 'tenantId' })
  const outbox = tx.objectStore('outbox')
  outbox.createIndex('by_miner', 'minerId')
  if (oldVersion < 1) return
  const miners = tx.objectStore('miners')
  const blocks = tx.objectStore('blocks')
  for (let cursor = await blocks.openCursor(); cursor; cursor = await cursor.continue()) {
    const { minerId, kind, block } = cursor.value
    const miner = await miners.get(minerId)
    if (miner) await miners.put({ ...miner, blocks: { ...miner.blocks, [kind]: block } })
  }
  await blocks.clear()
  for (let cursor = await outbox.openCursor(); cursor; cursor = await cursor.continue()) {
    const old = cursor.value as unknown as LegacyEntry & Partial<OutboxEntry>
    if (old.change) continue
    const { body: _body, path: _path, ...rest } = old as LegacyEntry & { path?: string }
    const baseRevision = (await miners.get(old.minerId))?.revision ?? 1
    await cursor.update({ ...rest, change: legacyChange(old), baseRevision })
  }
}
