/**
 * The polling loop core: asks every miner for `summary+pools+devs+stats` with a
 * concurrency cap and a deadline per miner, so a slow or dead miner costs at most its
 * timeout and never holds up the cycle beyond it. Results are normalized telemetry.
 */
import { CGMINER_PORT, type MinerAddress, formatAddress, parseAddress } from './cgminer/address.ts'
import { CgminerClient, MinerError } from './cgminer/client.ts'
import { type MinerTelemetry, normalizeTelemetry, offlineTelemetry } from './telemetry.ts'

/** The commands of one poll. */
export const POLL_COMMANDS = ['summary', 'pools', 'devs', 'stats'] as const

export interface PollOptions {
  /** Miners polled at once (default 256). */
  concurrency?: number
  /** Deadline per miner for the whole exchange, ms (default 5000). */
  timeoutMs?: number
  /** Connect deadline per miner, ms (default: timeoutMs). */
  connectTimeoutMs?: number
  /** Commands per poll (default {@linkcode POLL_COMMANDS}). */
  commands?: readonly string[]
  /** Reuse one client across cycles so miners that reject `a+b` are remembered. */
  client?: CgminerClient
  signal?: AbortSignal
}

/** A miner to poll: `host:port` text or an address. */
export type PollTarget = string | MinerAddress

/**
 * Polls one miner once. Never throws for a miner's failure: it comes back offline
 * with the reason.
 */
export async function pollMiner(target: PollTarget, options: PollOptions = {}): Promise<MinerTelemetry> {
  const address = typeof target === 'string' ? parseAddress(target, CGMINER_PORT) : target
  const timeoutMs = options.timeoutMs ?? 5000
  const client = options.client ?? new CgminerClient({ timeoutMs, connectTimeoutMs: options.connectTimeoutMs ?? timeoutMs })
  const polledAt = Date.now()
  const started = performance.now()
  const meta = () => ({ address: formatAddress(address), polledAt, latencyMs: Math.round(performance.now() - started) })
  try {
    const replies = await client.commands(address, options.commands ?? POLL_COMMANDS, options.signal)
    return normalizeTelemetry(replies, meta())
  } catch (error) {
    if (error instanceof MinerError) return offlineTelemetry(meta(), error.message, error.kind)
    throw error
  }
}

/**
 * Runs `task` over `items` with at most `concurrency` in flight, results in input order.
 * @example await mapPool([1, 2, 3], 2, async (n) => n * 2) // [2, 4, 6]
 */
export async function mapPool<T, R>(items: readonly T[], concurrency: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++
      results[index] = await task(items[index])
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker))
  return results
}

/**
 * Polls every target once. Takes about ceil(n / concurrency) × the slowest exchange,
 * and never longer per miner than its timeout.
 * @example const telemetry = await pollCycle(['127.1.0.1:4028'], { concurrency: 64, timeoutMs: 3000 })
 */
export function pollCycle(targets: readonly PollTarget[], options: PollOptions = {}): Promise<MinerTelemetry[]> {
  const timeoutMs = options.timeoutMs ?? 5000
  const client = options.client ?? new CgminerClient({ timeoutMs, connectTimeoutMs: options.connectTimeoutMs ?? timeoutMs, signal: options.signal })
  return mapPool(targets, options.concurrency ?? 256, (target) => pollMiner(target, { ...options, client }))
}

export interface LoopOptions extends PollOptions {
  /** Time between cycle starts, ms (default 30 000). */
  intervalMs?: number
  /** Random share of the interval added or taken away, 0 to 1 (default 0.1). */
  jitter?: number
  /** Runs one cycle (default {@linkcode pollCycle}; e.g. `PollThreads.cycle` to use more threads). */
  cycle?: (targets: readonly PollTarget[], options: PollOptions) => Promise<MinerTelemetry[]>
  /** Receives each cycle's telemetry and how long its polls took; the next cycle waits for it. */
  onCycle: (telemetry: MinerTelemetry[], elapsedMs: number) => void | Promise<void>
  /** Stops the loop. */
  signal: AbortSignal
}

/** Polls `targets` every interval (with jitter) until `signal` aborts. */
export async function pollLoop(targets: () => readonly PollTarget[], options: LoopOptions): Promise<void> {
  const { intervalMs = 30_000, jitter = 0.1, signal } = options
  const timeoutMs = options.timeoutMs ?? 5000
  // An undefined connectTimeoutMs would override the client's default with a 0 ms timer.
  const client = new CgminerClient({ timeoutMs, connectTimeoutMs: options.connectTimeoutMs ?? timeoutMs, signal })
  while (!signal.aborted) {
    const started = performance.now()
    const telemetry = await (options.cycle ?? pollCycle)(targets(), { ...options, client })
    await options.onCycle(telemetry, performance.now() - started)
    // An abort during the cycle has already fired; waiting for it would wait the whole interval.
    if (signal.aborted) break
    const wait = intervalMs * (1 + (Math.random() * 2 - 1) * jitter) - (performance.now() - started)
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, wait))
      function done() {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        resolve()
      }
      signal.addEventListener('abort', done, { once: true })
    })
  }
}
