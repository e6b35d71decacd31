/**
 * What the owner sees of sync, as signals: the state for the top bar (synced,
 * syncing, pending N, offline, conflict), which miners the last pull changed (so
 * open screens re-read IndexedDB), and the last pull's timing.
 */
import { computed, signal } from '@preact/signals'
import { outboxEntries } from './outbox.ts'
import { online } from './state.ts'

export type SyncActivity = 'idle' | 'pulling' | 'pushing'

/** What the engine is doing right now. */
export const syncActivity = signal<SyncActivity>('idle')
/** False after a request failed for want of a network or server, until one succeeds. */
export const serverReachable = signal(true)
/** The last failure that retrying will not fix by itself, in words for the owner. */
export const syncError = signal<string | null>(null)
/** The last pull that stored miners: when it started and finished (performance.now()) and how many it stored. */
export const lastPull = signal<{ startedAt: number; finishedAt: number; miners: number } | null>(null)
/** Bumped when a pull or push stored miners; `ids` are those miners. */
export const minerChanges = signal<{ version: number; ids: ReadonlySet<string> }>({ version: 0, ids: new Set() })

/** Tells open screens that these miners changed in IndexedDB. */
export function announceMinerChanges(ids: Iterable<string>): void {
  const set = new Set(ids)
  if (set.size > 0) minerChanges.value = { version: minerChanges.value.version + 1, ids: set }
}

export type SyncState = 'synced' | 'syncing' | 'pending' | 'offline' | 'conflict'

/** The one state the top bar shows, most urgent first, with the counts behind it. */
export const syncStatus = computed(() => {
  const entries = outboxEntries.value
  const pending = entries.filter((e) => e.status === 'pending').length
  const conflicts = entries.filter((e) => e.status === 'conflict').length
  const rejected = entries.filter((e) => e.status === 'rejected').length
  const offline = !online.value || !serverReachable.value
  /** Where sending and receiving stand, conflicts aside. */
  const flow: Exclude<SyncState, 'conflict'> = offline ? 'offline' : syncActivity.value !== 'idle' ? 'syncing' : pending > 0 ? 'pending' : 'synced'
  const state: SyncState = conflicts + rejected > 0 ? 'conflict' : flow
  return { state, flow, pending, conflicts, rejected }
})
