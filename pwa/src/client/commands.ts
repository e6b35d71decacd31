/**
 * Remote control from the owner's device: a command is built here, sealed in the
 * crypto worker under the tenant data key (pool and miner passwords never leave
 * the device in clear), sent with plaintext routing metadata only, then watched
 * until every miner has answered. After a `set_password`, each miner that took the
 * new password gets a new credentials block through the outbox, so the stored
 * secret and the miner agree.
 */
import { signal } from '@preact/signals'
import type { Command, CommandAction, CommandParams } from '../../../e2ee/command.ts'
import type { CommandView } from '../shared/api_types.ts'
import { api } from './api.ts'
import { cryptoBridge } from './crypto_bridge.ts'
import { loadSecrets, saveCredentials, saveFullConnection } from './secrets.ts'
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
  const view = await api<CommandView>('POST', '/api/commands', token, {
    command_id: command.command_id, site_id: siteId, miner_ids: minerIds, action, expires_at: command.expires_at, sealed,
  })
  store(view)
  return view
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

/**
 * After a set_password: every miner that answered ok gets its new password saved
 * in its encrypted block (credentials in Plan A, the connection in full mode).
 * @returns miners whose block could not be written, with why
 */
export async function recordNewPasswords(view: CommandView, newPassword: string): Promise<{ minerId: string; message: string }[]> {
  const problems: { minerId: string; message: string }[] = []
  for (const result of view.results.filter((r) => r.status === 'ok')) {
    try {
      const secrets = await loadSecrets(result.miner_id, false)
      if (!secrets) throw new Error('Cannot save the new password: the miner is not on this device')
      if (secrets.fullMode && secrets.connection) {
        await saveFullConnection(secrets, { ...secrets.connection, password: newPassword } as Parameters<typeof saveFullConnection>[1])
      } else {
        const c = secrets.credentials ?? {}
        await saveCredentials(secrets, { username: c.username ?? 'root', password: newPassword, pool_password: c.pool_password ?? '' })
      }
    } catch (error) {
      problems.push({ minerId: result.miner_id, message: (error as Error).message })
    }
  }
  return problems
}
