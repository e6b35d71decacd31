/**
 * Remote control from the owner's device: a command is built here, sealed in the
 * crypto worker under the tenant data key (pool and miner passwords never leave
 * the device in clear), sent with plaintext routing metadata only, then watched
 * until every miner has answered: the stream's `command.progress` events carry each
 * recorded part of the results, and a read every few seconds covers a stream that is
 * down or reconnecting. A `set_password` is also kept sealed on this
 * device until its results are recorded (password_changes.ts), so the stored
 * secret and the miner agree even if the tab closes meanwhile.
 */
import { signal } from '@preact/signals'
import type { Command, CommandAction, CommandParams } from '../../../e2ee/command.ts'
import type { CommandProgress, CommandView } from '../shared/api_types.ts'
import { api } from './api.ts'
import { cryptoBridge } from './crypto_bridge.ts'
import { forgetPasswordChange, rememberPasswordChange } from './password_changes.ts'
import { session } from './state.ts'

/** How long a confirmed command stays valid for the edge. */
const LIFETIME_MS = 10 * 60_000
/** Reads of a watched command while no progress arrives over the stream. */
const READ_EVERY_MS = 3000
/** Above this many miners the owner confirms twice. */
export const BULK_CONFIRM_ABOVE = 50

/** The commands this device issued or watched, newest views by id (the page's store). */
export const commandViews = signal<ReadonlyMap<string, CommandView>>(new Map())

function store(view: CommandView): void {
  commandViews.value = new Map(commandViews.value).set(view.id, view)
}

/** True when `action` on `count` miners needs the second confirmation. */
export function needsSecondConfirmation(action: CommandAction, count: number): boolean {
  return action === 'set_password' || count > BULK_CONFIRM_ABOVE
}

/** Seals and sends a command; resolves with the server's first view of it. */
export async function issueCommand<A extends CommandAction>(siteId: string, minerIds: string[], action: A, params: CommandParams[A]): Promise<CommandView> {
  const token = session.value!.token
  const now = Date.now()
  const command: Omit<Command, 'tenant'> = {
    command_id: crypto.randomUUID(), site: siteId, miner_ids: minerIds, action, params,
    issued_at: new Date(now).toISOString(), expires_at: new Date(now + LIFETIME_MS).toISOString(),
  }
  const sealed = await cryptoBridge().call('sealCommand', { command })
  // Kept before sending: a tab closed mid-command must still save the password the miners took.
  if (action === 'set_password') await rememberPasswordChange({ commandId: command.command_id, siteId, sealed })
  try {
    const view = await api<CommandView>('POST', '/api/commands', token, {
      command_id: command.command_id, site_id: siteId, miner_ids: minerIds, action, expires_at: command.expires_at, sealed,
    })
    store(view)
    return view
  } catch (error) {
    if (action === 'set_password') await forgetPasswordChange(command.command_id)
    throw error
  }
}

const finished = (view: CommandView) => view.status === 'done' || view.status === 'refused' || view.status === 'expired'

/**
 * Merges a stream event into a command this device watches (others are ignored:
 * their views are read when shown). Results replace earlier ones of the same miner.
 */
export function applyCommandProgress(event: CommandProgress): void {
  const view = commandViews.value.get(event.id)
  if (!view) return
  const { results: part, ...summary } = event
  const results = new Map(view.results.map((r) => [r.miner_id, r]))
  for (const r of part) results.set(r.miner_id, r)
  store({ ...view, ...summary, results: [...results.values()] })
}

/** Resolves with the command's view once it is finished in the store, or with null after `ms`. */
function finishedInStore(id: string, ms: number, signal?: AbortSignal): Promise<CommandView | null> {
  return new Promise((resolve) => {
    let unsubscribe = () => {}
    const done = (view: CommandView | null) => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', abort)
      unsubscribe()
      resolve(view)
    }
    const abort = () => done(null)
    const timer = setTimeout(abort, ms)
    signal?.addEventListener('abort', abort, { once: true })
    unsubscribe = commandViews.subscribe((views) => {
      const view = views.get(id)
      if (view && finished(view)) queueMicrotask(() => done(view))
    })
  })
}

/**
 * Watches the command until it is done, refused or expired: stream events update the
 * store as they come; the command is read at once and again whenever no event finished it
 * within a few seconds.
 * @returns the last view
 */
export async function watchCommand(id: string, signal?: AbortSignal): Promise<CommandView> {
  for (;;) {
    const view = await api<CommandView>('GET', `/api/commands/${id}`, session.value!.token)
    // Progress only moves forward: a read that started before the last event must not undo it.
    const current = commandViews.value.get(id)
    if (!current || (!finished(current) && view.counts.pending <= current.counts.pending)) store(view)
    const latest = commandViews.value.get(id)!
    if (finished(latest) || signal?.aborted) return latest
    const finishedView = await finishedInStore(id, READ_EVERY_MS, signal)
    if (finishedView) return finishedView
    if (signal?.aborted) return commandViews.value.get(id)!
  }
}
