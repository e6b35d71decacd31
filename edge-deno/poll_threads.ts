/**
 * A poll cycle across threads: this one and `threads - 1` Workers each poll a share of
 * the miners with a share of the concurrency, and the telemetry comes back in the
 * targets' order.
 *
 * Why: a cycle is CPU-bound on one thread (reading, repairing, parsing and normalizing
 * 5 kB of replies per miner, and the garbage of it); at 10 000 miners the one thread
 * was busy 93% of the cycle while the machine's other core was left to the rest.
 * Only targets and telemetry cross between threads, a few hundred bytes per miner:
 * handing whole replies to a parsing thread cost more than the parsing it moved.
 *
 * Miner `i` goes to thread `i mod threads`, so with the same targets a miner stays on
 * one thread, whose client remembers whether it rejects the `a+b` form. A thread that
 * fails loses nothing: its share is polled here instead, and a new Worker is started
 * for the next cycle; one that cannot start at all (its module missing from a build)
 * leaves its share here from then on.
 */
import { pollCycle, type PollOptions, type PollTarget } from './poller.ts'
import type { MinerTelemetry } from './telemetry.ts'

/** What a polling Worker is sent. */
export type ShardRequest =
  | { type: 'poll'; id: number; targets: PollTarget[]; options: ShardOptions }
  | { type: 'abort'; id: number }

/** What it answers, for the request `id`. */
export type ShardReply = { id: number; telemetry: MinerTelemetry[] } | { id: number; error: string }

/** The options a thread polls its share with (no client or signal: those stay per thread). */
export type ShardOptions = Pick<PollOptions, 'concurrency' | 'timeoutMs' | 'connectTimeoutMs' | 'commands'>

interface Pending {
  resolve: (telemetry: MinerTelemetry[]) => void
  reject: (error: Error) => void
}

const WORKER_MODULE = new URL('./poll_worker.ts', import.meta.url).href

/** One polling Worker and the requests it has not answered yet. */
class PollWorker {
  readonly #worker: Worker
  readonly #pending = new Map<number, Pending>()
  #next = 0
  failed = false
  /** True once it has answered: a Worker that fails before that will not start next time either. */
  answered = false

  constructor(module: string) {
    this.#worker = new Worker(module, { type: 'module' })
    this.#worker.onmessage = (event: MessageEvent<ShardReply>) => {
      const reply = event.data
      this.answered = true
      const pending = this.#pending.get(reply.id)
      this.#pending.delete(reply.id)
      if ('error' in reply) pending?.reject(new Error(reply.error))
      else pending?.resolve(reply.telemetry)
    }
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault()
      // Its first line: a failed module load goes on with hints for a terminal.
      this.#fail(new Error(`the polling thread failed: ${String(event.message).split('\n')[0]}`))
    }
  }

  poll(targets: PollTarget[], options: ShardOptions, signal?: AbortSignal): Promise<MinerTelemetry[]> {
    const id = this.#next++
    const onAbort = () => this.#worker.postMessage({ type: 'abort', id } satisfies ShardRequest)
    signal?.addEventListener('abort', onAbort, { once: true })
    return new Promise<MinerTelemetry[]>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#worker.postMessage({ type: 'poll', id, targets, options } satisfies ShardRequest)
      if (signal?.aborted) onAbort()
    }).finally(() => signal?.removeEventListener('abort', onAbort))
  }

  #fail(error: Error): void {
    this.failed = true
    this.#worker.terminate()
    for (const pending of this.#pending.values()) pending.reject(error)
    this.#pending.clear()
  }

  terminate(): void {
    this.#fail(new Error('the polling threads were closed'))
  }
}

/**
 * Polling threads kept across cycles; dispose to stop them.
 * @example
 * using threads = new PollThreads(2)
 * const telemetry = await threads.cycle(targets, { concurrency: 256, timeoutMs: 5000 })
 */
export class PollThreads implements Disposable {
  // null: not started yet; 'here': failed to start, so its share is polled on this thread.
  readonly #workers: (PollWorker | null | 'here')[]
  readonly #onFailure: (message: string) => void
  readonly #module: string

  /**
   * @param threads threads polling in all, this one included (1: this one only)
   * @param onFailure told when a thread failed and its share was polled here instead
   * @param module the Workers' module (tests give a broken one)
   */
  constructor(threads: number, onFailure: (message: string) => void = () => {}, module = WORKER_MODULE) {
    this.#workers = Array.from({ length: Math.max(0, threads - 1) }, () => null)
    this.#onFailure = onFailure
    this.#module = module
  }

  get threads(): number {
    return this.#workers.length + 1
  }

  /**
   * Polls every target once, as {@linkcode pollCycle} does (whose options it takes:
   * `client` and `signal` serve this thread's share); telemetry in the order of `targets`.
   */
  async cycle(targets: readonly PollTarget[], options: PollOptions = {}): Promise<MinerTelemetry[]> {
    const n = Math.min(this.threads, Math.max(1, targets.length))
    if (n === 1) return pollCycle(targets, options)
    const shares: PollTarget[][] = Array.from({ length: n }, () => [])
    for (let i = 0; i < targets.length; i++) shares[i % n]!.push(targets[i]!)
    const { client, signal, concurrency = 256, timeoutMs, connectTimeoutMs, commands } = options
    const shareOptions: ShardOptions = { concurrency: Math.max(1, Math.ceil(concurrency / n)), timeoutMs, connectTimeoutMs, commands }
    const here = (share: PollTarget[]) => pollCycle(share, { ...shareOptions, client, signal })
    const polled = await Promise.all(shares.map((share, s) => {
      const worker = s === 0 ? 'here' : this.#worker(s - 1)
      if (worker === 'here') return here(share)
      return worker.poll(share, shareOptions, signal).catch((error: Error) => {
        // A thread that stopped is started again for the next cycle, unless it never started.
        const then = !worker.failed ? '' : worker.answered ? ' (a new thread starts for the next cycle)' : ' (so from now on)'
        if (worker.failed && !worker.answered) this.#workers[s - 1] = 'here'
        this.#onFailure(`Cannot poll on thread ${s + 1}: ${error.message}; polling its ${share.length} miners on the main thread${then}`)
        return here(share)
      })
    }))
    const telemetry = new Array<MinerTelemetry>(targets.length)
    polled.forEach((share, s) => share.forEach((t, j) => (telemetry[j * n + s] = t)))
    return telemetry
  }

  #worker(index: number): PollWorker | 'here' {
    let worker = this.#workers[index]
    if (worker === 'here') return worker
    if (!worker || worker.failed) this.#workers[index] = worker = new PollWorker(this.#module)
    return worker
  }

  [Symbol.dispose](): void {
    for (const worker of this.#workers) if (worker instanceof PollWorker) worker.terminate()
    this.#workers.fill(null)
  }
}
