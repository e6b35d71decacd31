/**
 * The one IndexedDB schema, opened by the page and by the crypto worker alike.
 * The page keeps what it shows (sites, miners, encrypted blocks, the outbox); the
 * worker keeps the remembered data key and the anti-rollback counters in `device`.
 * Nothing here is plaintext secret: blocks stay encrypted at rest.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import type { BlockKind, LoginResponse, Miner, Site, StoredBlock, WrappedKeyring } from './api_types.ts'

/** One pending write: the request to repeat until the API answers it. */
export interface OutboxEntry {
  id: string
  createdAt: number
  tenantId: string
  minerId: string
  kind: BlockKind
  path: string
  body: unknown
  /** pending: not yet answered; conflict: the API said 409; rejected: another 4xx. */
  status: 'pending' | 'conflict' | 'rejected'
  attempts: number
  error?: string
}

/** The signed-in account: the session token, never a password or passphrase. */
export type Session = LoginResponse

export interface StoredKeyring {
  tenantId: string
  keyring: WrappedKeyring | null
  revision: number | null
}

export interface BlockRecord {
  minerId: string
  kind: BlockKind
  block: StoredBlock | null
}

export interface HashInsightDB extends DBSchema {
  session: { key: 'current'; value: Session }
  keyring: { key: string; value: StoredKeyring }
  sites: { key: string; value: Site }
  miners: { key: string; value: Miner; indexes: { by_site: string } }
  blocks: { key: [string, string]; value: BlockRecord }
  outbox: { key: string; value: OutboxEntry; indexes: { by_created: number } }
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
  return openDB<HashInsightDB>(DB_NAME, 2, {
    // Each version adds stores; existing ones (and what they hold) are kept.
    upgrade(db, oldVersion) {
      if (oldVersion < 1) createVersion1(db)
      if (oldVersion < 2) db.createObjectStore('live', { keyPath: 'key' })
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
