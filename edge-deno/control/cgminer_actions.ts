/**
 * Actions through the cgminer privileged API (TCP 4028): `restart`; pools with
 * `addpool` / `switchpool` / `removepool`; and, where the firmware has them,
 * LuxOS-style `rebootdevice`, `curtail sleep|wakeup`, `ledset red,on|off`, or
 * Avalon's `ascset|0,reboot,0`. A miner that denies the privileged API (stock
 * Antminer: code 45) or does not know a command (code 14) answers `fallback`, and
 * the caller tries the miner's web interface instead.
 */
import type { Command, CommandAction } from '../../e2ee/mod.ts'
import type { MinerAddress } from '../cgminer/address.ts'
import type { CgminerClient } from '../cgminer/client.ts'
import { failed, type MinerOutcome } from './outcome.ts'

/** An outcome, or the hint that another path should be tried. */
export type PathOutcome = MinerOutcome | { status: 'fallback' }

const FALLBACK = { status: 'fallback' } as const
const OK: MinerOutcome = { status: 'ok' }
const ACCESS_DENIED = 45
const INVALID_COMMAND = 14

/** cgminer parameters are comma-separated; a comma inside one is escaped. */
export function escapeParameter(value: string): string {
  return value.replace(/([\\,])/g, '\\$1')
}

type Step = { command: string; parameter?: string }

/** Runs one command: null when it succeeded, else the outcome to stop with. */
async function step(client: CgminerClient, address: MinerAddress, { command, parameter }: Step, signal?: AbortSignal): Promise<PathOutcome | null> {
  const reply = await client.command(address, command, parameter, signal)
  const s = reply.status
  if (s && (s.status === 'S' || s.status === 'I')) return null
  if (s?.code === ACCESS_DENIED || s?.code === INVALID_COMMAND) return FALLBACK
  return failed(`Cannot ${command}: the miner answered ${s ? `${s.status} ${s.code ?? ''} ${s.msg}`.trim() : 'without a status'}`)
}

/** Tries each alternative in turn until one is not a fallback. */
async function firstOf(client: CgminerClient, address: MinerAddress, alternatives: Step[], signal?: AbortSignal): Promise<PathOutcome> {
  for (const alternative of alternatives) {
    const outcome = await step(client, address, alternative, signal)
    if (outcome === null) return OK
    if (outcome.status !== 'fallback') return outcome
  }
  return FALLBACK
}

/** Replaces the miner's pools by `pools`: add the new ones, switch to the first, remove the old. */
async function setPools(client: CgminerClient, address: MinerAddress, pools: Command<'set_pools'>['params']['pools'], signal?: AbortSignal): Promise<PathOutcome> {
  // cgminer answers addpool with "Added pool <index>": the first new index is the old pool count,
  // which saves a `pools` round trip per miner.
  let oldCount: number | undefined
  for (const p of pools) {
    const reply = await client.command(address, 'addpool', [p.url, p.user, p.password].map(escapeParameter).join(','), signal)
    const s = reply.status
    if (!s || (s.status !== 'S' && s.status !== 'I')) {
      const denied = s?.code === ACCESS_DENIED || s?.code === INVALID_COMMAND
      // Only the first add may fall back: after that the miner is half-changed and we say so.
      if (denied && oldCount === undefined) return FALLBACK
      return failed(`Cannot set pools: the miner answered addpool with ${s ? `${s.status} ${s.code ?? ''} ${s.msg}`.trim() : 'no status'}`)
    }
    oldCount ??= Number(/Added pool (\d+)/.exec(s.msg)?.[1] ?? NaN)
  }
  if (!Number.isInteger(oldCount)) {
    const listed = await client.command(address, 'pools', undefined, signal)
    if (!Array.isArray(listed.body.POOLS)) return failed('Cannot set pools: the miner did not list its pools')
    oldCount = listed.body.POOLS.length - pools.length
  }
  const switched = await step(client, address, { command: 'switchpool', parameter: String(oldCount) }, signal)
  if (switched) return switched.status === 'fallback' ? failed('Cannot set pools: the miner refused switchpool') : switched
  // Highest first: removing one shifts only the pools above it, which are removed already.
  for (let i = oldCount! - 1; i >= 0; i--) {
    const removed = await step(client, address, { command: 'removepool', parameter: String(i) }, signal)
    if (removed) return removed.status === 'fallback' ? failed('Cannot set pools: the miner refused removepool') : removed
  }
  return OK
}

/**
 * Runs `command`'s action on one miner through the privileged API.
 * @throws {MinerError} when the miner cannot be reached (the caller words it)
 */
export function runOverCgminer(client: CgminerClient, address: MinerAddress, command: Command, signal?: AbortSignal): Promise<PathOutcome> {
  const action: CommandAction = command.action
  switch (action) {
    case 'restart':
      return firstOf(client, address, [{ command: 'restart' }], signal)
    case 'reboot':
      return firstOf(client, address, [{ command: 'rebootdevice' }, { command: 'ascset', parameter: '0,reboot,0' }], signal)
    case 'pause':
    case 'resume':
      return firstOf(client, address, [{ command: 'curtail', parameter: action === 'pause' ? 'sleep' : 'wakeup' }], signal)
    case 'blink_led':
      return firstOf(client, address, [{ command: 'ledset', parameter: `red,${(command as Command<'blink_led'>).params.on ? 'on' : 'off'}` }], signal)
    case 'set_pools':
      return setPools(client, address, (command as Command<'set_pools'>).params.pools, signal)
    case 'set_password':
      // The web login is not cgminer's to change.
      return Promise.resolve(FALLBACK)
  }
}
