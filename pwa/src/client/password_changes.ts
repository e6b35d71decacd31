/**
 * Password changes survive a closed tab: before a set_password is sent, its sealed
 * copy is kept in IndexedDB (ciphertext only; the new password is inside the seal).
 * When the command has finished — now, or when the app next unlocks — the worker
 * opens the copy and every miner that took the password gets it saved in its
 * encrypted login; then the copy is deleted. Refused or expired commands changed no
 * miner, so their copies are just dropped.
 */
import type { CommandView, StoredBlock } from '../shared/api_types.ts'
import { api } from './api.ts'
import { cryptoBridge } from './crypto_bridge.ts'
import { loadSecrets, saveCredentials, saveFullConnection } from './secrets.ts'
import { session } from './state.ts'
import { db } from './store.ts'

const PREFIX = 'command-password:'

interface PendingChange {
  commandId: string
  siteId: string
  sealed: StoredBlock
}

/** Keeps the sealed set_password command until its results are recorded. */
export async function rememberPasswordChange(change: PendingChange): Promise<void> {
  await (await db()).put('device', change, PREFIX + change.commandId)
}

/** Drops a copy whose command never reached the server. */
export async function forgetPasswordChange(commandId: string): Promise<void> {
  await (await db()).delete('device', PREFIX + commandId)
}

/** Saves the new password in every miner's block that took it; the miners that could not be saved, with why. */
async function record(view: CommandView, newPassword: string): Promise<{ minerId: string; message: string }[]> {
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

/**
 * Records every finished password change kept on this device (needs the app unlocked).
 * @returns miners whose new password could not be saved, with why
 */
export async function finishPasswordChanges(): Promise<{ minerId: string; message: string }[]> {
  const store = await db()
  const keys = (await store.getAllKeys('device')).filter((k): k is string => typeof k === 'string' && k.startsWith(PREFIX))
  const problems: { minerId: string; message: string }[] = []
  for (const key of keys) {
    const change = (await store.get('device', key)) as PendingChange | undefined
    if (!change) continue
    const view = await api<CommandView>('GET', `/api/commands/${change.commandId}`, session.value!.token).catch(() => null)
    if (!view || view.status === 'pending' || view.status === 'delivered') continue
    if (view.status === 'done') {
      const command = await cryptoBridge().call('openOwnCommand', { block: change.sealed, siteId: change.siteId, commandId: change.commandId })
      problems.push(...await record(view, (command.params as { new_password: string }).new_password))
    }
    await store.delete('device', key)
  }
  return problems
}
