/**
 * Sealed remote-control commands. The PWA seals a command under the tenant data key
 * as a v2 block of kind `command`; the server routes it by plaintext metadata it
 * cannot trust, and the edge opens it and acts only on what the seal says.
 *
 * How each fact is bound, so a hostile server achieves nothing:
 * - tenant and keyring: the v2 AAD (as for every block);
 * - site and command id: the AAD's subject is `<site_id>/<command_id>`, so a command
 *   handed to another site's device, or relabelled with another id, fails to decrypt;
 * - the same three are repeated inside the plaintext and compared after opening, so a
 *   writer that sealed under a mismatched subject is caught too;
 * - miners, action, params and expiry live only inside the seal: the edge acts on the
 *   sealed miner list, never the server's routing copy;
 * - replay of the same command id is the edge's job (ids it ran are kept on disk).
 * The counter is always 1: a command is written once and never replaced.
 */
import { decryptBlock, encryptBlock, type BlockOptions } from './block_v2.ts'
import type { DataKey } from './crypto_service.ts'
import { E2eeError } from './errors.ts'
import { COMMAND_ACTIONS, MAX_COMMAND_MINERS, type BlockV2 } from './schema.ts'

/** An action a command may carry, run per miner. */
export type CommandAction = (typeof COMMAND_ACTIONS)[number]

/** One pool of `set_pools`: the account and its password stay inside the seal. */
export interface PoolSetting {
  url: string
  user: string
  password: string
}

/** The parameters of each action (empty object where the action takes none). */
export interface CommandParams {
  set_pools: { pools: PoolSetting[] }
  blink_led: { on: boolean }
  set_password: { new_password: string }
  reboot: Record<string, never>
  restart: Record<string, never>
  pause: Record<string, never>
  resume: Record<string, never>
}

/** A command as sealed: everything the edge needs to act, and nothing else. */
export interface Command<A extends CommandAction = CommandAction> {
  command_id: string
  tenant: string
  site: string
  miner_ids: string[]
  action: A
  params: CommandParams[A]
  /** ISO 8601 times; the edge refuses a command after `expires_at`. */
  issued_at: string
  expires_at: string
}

/** Why a command was refused after its seal was checked; the edge records it. */
export type RefusalReason = 'malformed' | 'wrong_tenant' | 'wrong_site' | 'wrong_id' | 'expired' | 'replayed'

/** A command that authenticated (or was seen before) but must not run. */
export class CommandRefusedError extends E2eeError {
  override readonly name = 'CommandRefusedError'
  readonly code = 'command_refused'
  constructor(
    readonly reason: RefusalReason,
    detail: string,
  ) {
    super(`Cannot run command: ${detail}`)
  }
}

/** Most pools `set_pools` may set (cgminer-based firmware keeps three). */
export const MAX_POOLS = 3

/** The AAD subject of a command: binds its site and id (neither may contain '/' or '|'). */
export function commandSubject(siteId: string, commandId: string): string {
  for (const [name, v] of [['siteId', siteId], ['commandId', commandId]] as const) {
    if (typeof v !== 'string' || v === '' || /[/|]/.test(v)) throw new TypeError(`Cannot bind command: ${name} must be a non-empty string without '/' or '|'`)
  }
  return `${siteId}/${commandId}`
}

/**
 * Seals `command` as a v2 block of kind `command` under the tenant data key.
 * @example const block = await sealCommand(key, { command_id, tenant, site, miner_ids, action: 'reboot', params: {}, issued_at, expires_at })
 */
export async function sealCommand(key: DataKey, command: Command, options: BlockOptions = {}): Promise<BlockV2> {
  checkCommand(command)
  const subjectId = commandSubject(command.site, command.command_id)
  return encryptBlock(key, command, { tenantId: command.tenant, kind: 'command', subjectId, counter: 1 }, options)
}

/** Where the opener expects a command to belong, and the time to judge expiry by. */
export interface ExpectedCommand {
  tenantId: string
  siteId: string
  commandId: string
  /** Milliseconds since the epoch (default `Date.now()`). */
  now?: number
}

/**
 * Opens a sealed command and checks it belongs to `expected` and has not expired.
 * Throws UndecryptableBlockError (tampered, forged, another site or id),
 * ContextMismatchError / InvalidBlockError (from the block), or CommandRefusedError.
 */
export async function openCommand(key: DataKey, block: unknown, expected: ExpectedCommand, options: BlockOptions = {}): Promise<Command> {
  const subjectId = commandSubject(expected.siteId, expected.commandId)
  const value = await decryptBlock<unknown>(key, block, { tenantId: expected.tenantId, kind: 'command', subjectId, counter: 1 }, options)
  const command = checkCommand(value)
  if (command.tenant !== expected.tenantId) throw new CommandRefusedError('wrong_tenant', 'it was sealed for another tenant')
  if (command.site !== expected.siteId) throw new CommandRefusedError('wrong_site', 'it targets another site')
  if (command.command_id !== expected.commandId) throw new CommandRefusedError('wrong_id', 'its sealed id differs from the id it was delivered under')
  const now = expected.now ?? Date.now()
  if (Date.parse(command.expires_at) <= now) throw new CommandRefusedError('expired', `it expired at ${command.expires_at}`)
  return command
}

const isText = (v: unknown, max = 512): v is string => typeof v === 'string' && v.length > 0 && v.length <= max
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The reason `params` do not fit `action`, or null when they do. */
function paramsProblem(action: CommandAction, params: Record<string, unknown>): string | null {
  switch (action) {
    case 'set_pools': {
      const pools = params.pools
      if (!Array.isArray(pools) || pools.length < 1 || pools.length > MAX_POOLS) return `set_pools needs 1 to ${MAX_POOLS} pools`
      const bad = pools.findIndex((p) => !isRecord(p) || !isText(p.url) || !isText(p.user) || typeof p.password !== 'string' || p.password.length > 512)
      return bad === -1 ? null : `pool ${bad + 1} needs url, user and password`
    }
    case 'blink_led':
      return typeof params.on === 'boolean' ? null : 'blink_led needs on: true or false'
    case 'set_password':
      return isText(params.new_password, 128) ? null : 'set_password needs a new_password of 1 to 128 characters'
    default:
      return Object.keys(params).length === 0 ? null : `${action} takes no parameters`
  }
}

/**
 * Returns `value` as a Command, or throws CommandRefusedError('malformed') naming
 * the first problem. Used before sealing (a programmer's or user's error) and after
 * opening (a writer that sealed something else).
 */
export function checkCommand(value: unknown): Command {
  const fail = (why: string): never => {
    throw new CommandRefusedError('malformed', why)
  }
  if (!isRecord(value)) return fail('it is not an object')
  const c = value
  for (const field of ['command_id', 'tenant', 'site', 'issued_at', 'expires_at'] as const) if (!isText(c[field], 64)) fail(`missing ${field}`)
  if (!(COMMAND_ACTIONS as readonly unknown[]).includes(c.action)) fail(`unknown action ${JSON.stringify(c.action)}`)
  const ids = c.miner_ids
  if (!Array.isArray(ids) || ids.length < 1 || ids.length > MAX_COMMAND_MINERS || !ids.every((id) => isText(id, 64))) fail(`miner_ids must list 1 to ${MAX_COMMAND_MINERS} ids`)
  if (new Set(ids as string[]).size !== (ids as string[]).length) fail('miner_ids repeats a miner')
  if (Number.isNaN(Date.parse(c.issued_at as string)) || Number.isNaN(Date.parse(c.expires_at as string))) fail('issued_at and expires_at must be ISO 8601 times')
  if (!isRecord(c.params)) fail('params must be an object')
  const problem = paramsProblem(c.action as CommandAction, c.params as Record<string, unknown>)
  if (problem) fail(problem)
  return value as unknown as Command
}
