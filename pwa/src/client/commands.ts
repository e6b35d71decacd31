/**
 * Remote control from the owner's device: a command is built here, sealed in the
 * crypto worker under the tenant data key (pool and miner passwords never leave
 * the device in clear), sent with plaintext routing metadata only, then watched
 * until every miner has answered. A `set_password` is also kept sealed on this
 * device until its results are recorded (password_changes.ts), so the stored
 * secret and the miner agree even if the tab closes meanwhile.
 */
import { signal } from '@preact/signals'
import type { Command, CommandAction, CommandParams } from '../../../e2ee/command.ts'
import type { CommandView } from '../shared/api_types.ts'
import { api } from './api.ts'
import { cryptoBridge } from './crypto_bridge.ts'
import { forgetPasswordChange, rememberPasswordChange } from './password_changes.ts'
import { session } from './state.ts'

/** How long a confirmed command stays valid for the edge. */
const LIFETIME_MS = 10 * 60_000
const WATCH_EVERY_MS = 250
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
 * Polls the command until it is done, refused or expired, storing each view.
 * @returns the last view
 */
export async function watchCommand(id: string, signal?: AbortSignal): Promise<CommandView> {
  for (;;) {
    const view = await api<CommandView>('GET', `/api/commands/${id}`, session.value!.token)
    store(view)
    if (finished(view) || signal?.aborted) return view
    await new Promise((resolve) => setTimeout(resolve, WATCH_EVERY_MS))
  }
}
