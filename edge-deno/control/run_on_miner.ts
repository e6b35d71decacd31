/**
 * One action on one miner: the cgminer privileged API first, the miner's web
 * interface where the privileged API is denied or lacks the command. Every failure
 * becomes this miner's outcome; nothing here fails the batch.
 *
 * The firmware family seen in the miner's last poll picks the path first, as fleet
 * tools do after detecting a miner, so a command does not pay for a path the family
 * never offers: stock Antminer firmware grants its API only read-only groups (every
 * privileged command answers code 45), so it goes to the web interface first and the
 * privileged API only if the web interface is missing; Whatsminer's privileged API
 * needs its token-encrypted protocol, which this edge does not speak, and it has no
 * Antminer web interface, so it answers at once. An unknown family tries both in turn.
 */
import type { Command } from '../../e2ee/mod.ts'
import { CgminerClient, MinerError } from '../cgminer/client.ts'
import type { MinerTarget } from '../targets.ts'
import type { Vendor } from '../cgminer/identify.ts'
import { runOverCgminer } from './cgminer_actions.ts'
import { failed, type MinerOutcome, UNSUPPORTED, withoutSecrets } from './outcome.ts'
import { runOverWeb } from './web_actions.ts'

export interface MinerRunOptions {
  client: CgminerClient
  /** Port of the miners' web interfaces (Antminer: 80). */
  webPort: number
  timeoutMs: number
  signal?: AbortSignal
  /** The miner's firmware family from its last poll, if it has been polled. */
  vendor?: Vendor
}

/** The web login in a decrypted credentials block (`username`/`password`), if any. */
function webLogin(target: MinerTarget): { user: string; password: string } | null {
  const c = target.credentials
  return c && typeof c.username === 'string' && typeof c.password === 'string' ? { user: c.username, password: c.password } : null
}

/** Every string of the command's params and the miner's login: none may appear in a result. */
function secretsOf(target: MinerTarget, command: Command): string[] {
  const strings = (value: unknown): string[] =>
    typeof value === 'string' ? [value] : value && typeof value === 'object' ? Object.values(value).flatMap(strings) : []
  return [...strings(command.params), ...strings(target.credentials)]
}

/** Runs `command`'s action on `target` and says how it went, with no secret in the message. */
export async function runOnMiner(target: MinerTarget, command: Command, options: MinerRunOptions): Promise<MinerOutcome> {
  let outcome: MinerOutcome
  try {
    outcome = await run(target, command, options)
  } catch (error) {
    outcome = failed(`Cannot ${command.action}: ${error instanceof Error ? error.message : String(error)}`)
  }
  // Only a message can carry a secret; most outcomes have none, and collecting the
  // secrets per miner was a visible share of a thousand-miner command.
  return outcome.message === undefined || outcome === UNSUPPORTED ? outcome : withoutSecrets(outcome, secretsOf(target, command))
}

async function run(target: MinerTarget, command: Command, options: MinerRunOptions): Promise<MinerOutcome> {
  if (options.vendor === 'whatsminer') return UNSUPPORTED
  if (options.vendor === 'antminer') {
    const outcome = await overWeb(target, command, options)
    return outcome === UNSUPPORTED ? overCgminer(target, command, options, UNSUPPORTED) : outcome
  }
  return overCgminer(target, command, options, null)
}

/** The privileged API's outcome; on a fallback, `then` (or the web interface when null). */
async function overCgminer(target: MinerTarget, command: Command, options: MinerRunOptions, then: MinerOutcome | null): Promise<MinerOutcome> {
  try {
    const outcome = await runOverCgminer(options.client, target.address, command, options.signal)
    if (outcome.status !== 'fallback') return outcome
  } catch (error) {
    // Unreachable over 4028 is unreachable over the web as well; say so now.
    if (error instanceof MinerError && error.kind !== 'invalid') return failed(`Cannot reach the miner: ${error.message}`)
    if (!(error instanceof MinerError)) throw error
  }
  return then ?? overWeb(target, command, options)
}

function overWeb(target: MinerTarget, command: Command, options: MinerRunOptions): Promise<MinerOutcome> {
  return runOverWeb({ hostname: target.address.hostname, port: options.webPort, login: webLogin(target), timeoutMs: options.timeoutMs, signal: options.signal }, command)
}
