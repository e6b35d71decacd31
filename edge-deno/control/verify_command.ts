/**
 * The edge's checks before it acts: the seal opens under the tenant data key for
 * this device's tenant and site and the id it came under, has not expired, and was
 * not run before. What the server said about the command (miners, action) is never
 * used: only what the seal holds.
 */
import { type Command, CommandRefusedError, type DataKey, E2eeError, openCommand } from '../../e2ee/mod.ts'
import type { SeenCommands } from './seen_commands.ts'

/** A command as the API delivers it (routing metadata plus the seal). */
export interface DeliveredCommand {
  id: string
  site_id: string
  action: string
  miner_ids: string[]
  expires_at: string
  sealed: unknown
}

/** Why a command was refused, as the API records it. */
export type Refusal = { reason: 'undecryptable' | 'malformed' | 'wrong_tenant' | 'wrong_site' | 'wrong_id' | 'expired' | 'replayed' | 'no_key'; message: string }

export type Verdict = { ok: true; command: Command } | { ok: false; refusal: Refusal }

/** Where this device belongs, from its state dir (never from the server's answer). */
export interface DeviceScope {
  tenantId: string
  siteId: string
}

/** Opens and checks one delivered command; never throws for the command's fault. */
export async function verifyCommand(key: DataKey, delivered: DeliveredCommand, scope: DeviceScope, seen: SeenCommands, now = Date.now()): Promise<Verdict> {
  if (seen.has(delivered.id)) return { ok: false, refusal: { reason: 'replayed', message: 'Cannot run command: this edge already ran a command with this id' } }
  try {
    const command = await openCommand(key, delivered.sealed, { tenantId: scope.tenantId, siteId: scope.siteId, commandId: delivered.id, now })
    return { ok: true, command }
  } catch (error) {
    if (error instanceof CommandRefusedError) return { ok: false, refusal: { reason: error.reason === 'replayed' ? 'replayed' : error.reason, message: error.message } }
    // Tampered, forged under another key, meant for another site or id: GCM cannot tell which.
    if (error instanceof E2eeError) return { ok: false, refusal: { reason: error.code === 'invalid_block' ? 'malformed' : 'undecryptable', message: error.message } }
    throw error
  }
}
