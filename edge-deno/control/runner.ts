/**
 * The command runner: long-polls the API for its site's commands, verifies each
 * (seal, tenant, site, id, expiry, not run before), runs it on every sealed miner
 * with a concurrency cap, and reports per-miner results in parts as they finish,
 * so the owner watches progress live. A refused command is logged with its reason
 * and reported; nothing runs. It runs beside the polling loop in `run`.
 */
import type { DataKey } from '../../e2ee/mod.ts'
import { ApiError } from '../api_client.ts'
import { CgminerClient } from '../cgminer/client.ts'
import type { Vendor } from '../cgminer/identify.ts'
import type { MinerTarget } from '../targets.ts'
import type { CommandApi, MinerResult } from './command_api.ts'
import { failed } from './outcome.ts'
import { recordRefusal } from './refusal_log.ts'
import { runOnMiner } from './run_on_miner.ts'
import { SeenCommands } from './seen_commands.ts'
import { type DeliveredCommand, type DeviceScope, verifyCommand } from './verify_command.ts'

/** What the runner needs: the API, where this device belongs, its key and its miners. */
export interface CommandRunnerOptions {
  api: CommandApi
  scope: DeviceScope
  stateDir: string
  /** The tenant data key, or null when this edge has none (no passphrase or keyring). */
  dataKey: () => Promise<DataKey | null>
  /** The miners this edge can reach now, decrypted (the collector's latest). */
  targets: () => readonly MinerTarget[]
  /** A miner's firmware family from its last poll, which picks the path to try first. */
  vendorOf?: (minerId: string) => Vendor | undefined
  /** Port of the miners' web interfaces (default 80). */
  webPort?: number
  /** Miners acted on at once (default 256, as the poller). */
  concurrency?: number
  /** Deadline per miner exchange (default 5000 ms). */
  timeoutMs?: number
  /** Long-poll wait per request (default 20 000 ms). */
  waitMs?: number
  /** Results are sent at most this often while a command runs (default 250 ms). */
  flushMs?: number
  signal: AbortSignal
  log: (line: string) => void
}

/** What happened to one command, for `run`'s log and for tests. */
export type CommandReport = { id: string; refused: string } | { id: string; results: MinerResult[] }

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const timer = setTimeout(resolve, ms)
  signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
})

/** Sends a report, retrying an unreachable or failing API a few times: results are not spooled. */
async function reportWithRetry(send: () => Promise<void>, signal: AbortSignal): Promise<void> {
  for (const pause of [500, 1000, 2000, 4000]) {
    try {
      return await send()
    } catch (error) {
      if (!(error instanceof ApiError) || !error.retryable || signal.aborted) throw error
      await sleep(pause, signal)
    }
  }
  return send()
}

// How long a miner's action takes, by the family its last poll saw: the privileged API
// (LuxOS, Avalon, cgminer, or not polled yet) needs up to five exchanges in a row for
// set_pools, an Antminer's web interface three requests, a Whatsminer none.
const ORDER: Partial<Record<Vendor, number>> = { antminer: 1, whatsminer: 2 }

/**
 * The miners longest first, the order within a family kept. Started last, the long
 * ones left the fan-out waiting on a few miners at its end with the cores half idle.
 */
export function longestFirst(ids: readonly string[], vendorOf?: (id: string) => Vendor | undefined): string[] {
  if (!vendorOf) return [...ids]
  const rank = (id: string) => ORDER[vendorOf(id) ?? 'unknown'] ?? 0
  return ids.map((id, i) => ({ id, i, r: rank(id) })).sort((a, b) => a.r - b.r || a.i - b.i).map((e) => e.id)
}

/** Verifies and runs one delivered command, reporting as it goes. */
export async function handleCommand(delivered: DeliveredCommand, seen: SeenCommands, options: CommandRunnerOptions): Promise<CommandReport> {
  const { api, log } = options
  const key = await options.dataKey()
  const verdict = key
    ? await verifyCommand(key, delivered, options.scope, seen)
    : { ok: false as const, refusal: { reason: 'no_key' as const, message: 'Cannot run command: this edge has no data key (no passphrase or keyring)' } }
  if (!verdict.ok) {
    log(`Refused command ${delivered.id}: ${verdict.refusal.message}`)
    await recordRefusal(options.stateDir, delivered.id, verdict.refusal)
    await api.report(delivered.id, { refused: verdict.refusal }).catch((error) => log(`Cannot report the refusal of command ${delivered.id}: ${error.message}`))
    return { id: delivered.id, refused: verdict.refusal.reason }
  }
  const command = verdict.command
  // Recorded before anything runs: a crash mid-run must not let the same seal run twice.
  await seen.add(command.command_id, command.expires_at)
  const byId = new Map(options.targets().map((t) => [t.id, t]))
  const client = new CgminerClient({ timeoutMs: options.timeoutMs ?? 5000, signal: options.signal })
  const all: MinerResult[] = []
  const unsent: MinerResult[] = []
  let sending = Promise.resolve()
  const flush = () => {
    if (unsent.length === 0) return sending
    const part = unsent.splice(0)
    sending = sending.then(() => reportWithRetry(() => api.report(command.command_id, { results: part }), options.signal))
      .catch((error) => log(`Cannot report results of command ${command.command_id}: ${error.message}`))
    return sending
  }
  const started = performance.now()
  const timer = setInterval(flush, options.flushMs ?? 250)
  try {
    const queue = longestFirst(command.miner_ids, options.vendorOf)
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const target = byId.get(id)
        const outcome = target
          ? await runOnMiner(target, command, { client, webPort: options.webPort ?? 80, timeoutMs: options.timeoutMs ?? 5000, signal: options.signal, vendor: options.vendorOf?.(id) })
            .catch((error) => failed(`Cannot ${command.action}: ${error instanceof Error ? error.message : String(error)}`))
          : failed('Cannot run command: this edge cannot reach the miner (not on its site, or its blocks do not decrypt)')
        const result = { miner_id: id, ...outcome }
        all.push(result)
        unsent.push(result)
      }
    }
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 256, queue.length) }, worker))
  } finally {
    clearInterval(timer)
    await flush()
  }
  const counts = { ok: 0, error: 0, unsupported: 0 }
  for (const r of all) counts[r.status]++
  const ms = Math.round(performance.now() - started)
  log(`Command ${command.command_id} (${command.action}) on ${all.length} miners in ${ms} ms: ${counts.ok} ok, ${counts.error} failed, ${counts.unsupported} not supported`)
  return { id: command.command_id, results: all }
}

/**
 * Fetches and runs commands until `signal` aborts.
 * @throws {ApiError} kind 'revoked' when the API refuses the device token
 */
export async function runCommands(options: CommandRunnerOptions): Promise<void> {
  const seen = await SeenCommands.open(options.stateDir)
  let backoff = 1000
  while (!options.signal.aborted) {
    let delivered: DeliveredCommand[]
    try {
      delivered = await options.api.next(options.waitMs ?? 20_000)
      backoff = 1000
    } catch (error) {
      if (options.signal.aborted) return
      if (error instanceof ApiError && error.kind === 'revoked') throw error
      options.log(`${error instanceof Error ? error.message : String(error)}; asking for commands again in ${backoff / 1000} s`)
      await sleep(backoff, options.signal)
      backoff = Math.min(backoff * 2, 30_000)
      continue
    }
    for (const command of delivered) {
      if (options.signal.aborted) return
      try {
        await handleCommand(command, seen, options)
      } catch (error) {
        if (error instanceof ApiError && error.kind === 'revoked') throw error
        // E.g. the keyring could not be fetched: this command stays unanswered and expires.
        options.log(`Cannot run command ${command.id}: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
  }
}
