/**
 * Writes go here first (IndexedDB), then to the API when online: on start, on the
 * `online` event, and right after each edit. An edit survives closing the tab. A
 * 409 stays in the outbox marked as a conflict, another 4xx as rejected, both
 * shown to the owner; nothing is dropped silently. One tab sends at a time.
 */
import { signal } from '@preact/signals'
import type { BlockKind, ConnectionFullResponse, CredentialsResponse, Miner } from '../shared/api_types.ts'
import type { OutboxEntry } from '../shared/db.ts'
import { api, ApiError, OfflineError } from './api.ts'
import { db, putBlock, putMiner } from './store.ts'

/** Every entry not yet delivered, oldest first (the UI shows counts and conflicts). */
export const outboxEntries = signal<OutboxEntry[]>([])

export async function refreshOutbox(): Promise<OutboxEntry[]> {
  outboxEntries.value = await (await db()).getAllFromIndex('outbox', 'by_created')
  return outboxEntries.value
}

/** Queues a write and tries to send it at once. */
export async function enqueue(entry: Pick<OutboxEntry, 'tenantId' | 'minerId' | 'kind' | 'path' | 'body'>, token: string): Promise<void> {
  const record: OutboxEntry = { ...entry, id: crypto.randomUUID(), createdAt: Date.now(), status: 'pending', attempts: 0 }
  await (await db()).put('outbox', record)
  await refreshOutbox()
  void flushOutbox(token)
}

/** Removes an entry the owner chose to discard (conflicts and rejections only). */
export async function discard(id: string): Promise<void> {
  await (await db()).delete('outbox', id)
  await refreshOutbox()
}

/** The newest queued block for (miner, kind), which the editor shows over the server's older copy. */
export function queuedBlock(minerId: string, kind: BlockKind): { entry: OutboxEntry; block: unknown } | null {
  const entries = outboxEntries.value.filter((e) => e.minerId === minerId && e.kind === kind)
  const entry = entries[entries.length - 1]
  if (!entry) return null
  const body = entry.body as { encrypted_credentials?: unknown; encrypted_connection_full?: unknown }
  return { entry, block: body.encrypted_credentials ?? body.encrypted_connection_full ?? null }
}

async function deliver(entry: OutboxEntry, token: string): Promise<void> {
  const saved = await api<CredentialsResponse | ConnectionFullResponse>('POST', entry.path, token, entry.body)
  if ('encrypted_credentials' in saved) await putBlock(entry.minerId, 'credentials', saved.encrypted_credentials)
  if ('encrypted_connection_full' in saved) await putBlock(entry.minerId, 'connection_full', saved.encrypted_connection_full)
  // The write is done; a failed metadata refresh must not make the outbox send it again.
  await api<Miner>('GET', `/api/miners/${entry.minerId}`, token).then(putMiner, () => undefined)
}

/**
 * Sends pending entries in order until one cannot go (offline, signed out).
 * @returns how many were delivered
 */
export async function flushOutbox(token: string): Promise<number> {
  const run = async () => {
    let delivered = 0
    for (const entry of await refreshOutbox()) {
      if (entry.status !== 'pending') continue
      const conn = await db()
      try {
        await deliver(entry, token)
        await conn.delete('outbox', entry.id)
        delivered++
      } catch (error) {
        if (error instanceof OfflineError || (error instanceof ApiError && (error.status === 401 || error.status === 429 || error.status >= 500))) {
          await conn.put('outbox', { ...entry, attempts: entry.attempts + 1, error: error.message })
          break
        }
        const status = error instanceof ApiError && error.status === 409 ? 'conflict' : 'rejected'
        await conn.put('outbox', { ...entry, status, attempts: entry.attempts + 1, error: (error as Error).message })
      }
    }
    await refreshOutbox()
    return delivered
  }
  // Two tabs must not send the same entry twice: the Web Locks API serialises them.
  return navigator.locks ? navigator.locks.request('hashinsight-outbox', run) : run()
}
