/**
 * Telemetry delivery: samples → batches of at most 5000 with a random uuid, each
 * written to the spool BEFORE it is sent and deleted only once the API acknowledged
 * it (accepted or duplicate). A crash loses nothing but can replay the batch in
 * flight, which the API, idempotent on batch_id, stores once. Batches go out oldest
 * first, one at a time, so the API sees them in the order they were made.
 * Pool statistics go through the same spool flush ({@linkcode flushSpool}).
 */
import { ApiError, type TelemetryAck, type TelemetryBatch } from './api_client.ts'
import type { TelemetrySample } from './sample.ts'
import type { Spool } from './spool.ts'

/** The API's upper bound on samples per batch. */
export const MAX_BATCH_SAMPLES = 5000

export interface DeliveryOptions {
  api: { sendTelemetry(batch: string): Promise<TelemetryAck> }
  spool: Spool
  /** Receives one line per notable event; never given a secret. */
  log: (line: string) => void
  /** Waits between attempts at one batch before leaving it for the next flush (default 0.5 s, 2 s, 5 s). */
  retryDelaysMs?: readonly number[]
  /** Samples per batch (default and maximum 5000). */
  batchSize?: number
  signal?: AbortSignal
}

/** What one flush did. */
export interface FlushResult {
  sent: number
  duplicates: number
  refused: number
  /** Batches still in the spool (the API is unreachable or failing). */
  pending: number
}

/**
 * Splits samples into batches with fresh ids.
 * @example toBatches(samples, 5000).length // Math.ceil(samples.length / 5000)
 */
export function toBatches(samples: readonly TelemetrySample[], size = MAX_BATCH_SAMPLES): TelemetryBatch[] {
  return chunks(samples, size).map((part) => ({ batch_id: crypto.randomUUID(), samples: part }))
}

/** `items` in runs of at most `size`, in order: [1,2,3] by 2 → [[1,2],[3]]. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = []
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size))
  return parts
}

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}

export class Delivery {
  readonly #o: DeliveryOptions

  constructor(options: DeliveryOptions) {
    this.#o = options
  }

  /** Spools one cycle's samples as batches; logs what the spool bound made it drop. */
  async enqueue(samples: readonly TelemetrySample[]): Promise<void> {
    const size = Math.min(this.#o.batchSize ?? MAX_BATCH_SAMPLES, MAX_BATCH_SAMPLES)
    for (const batch of toBatches(samples, size)) {
      const dropped = await this.#o.spool.add(batch)
      if (dropped.batches > 0) {
        this.#o.log(`Spool full: dropped the ${dropped.batches} oldest telemetry batches (${dropped.bytes} bytes) to stay within its bound`)
      }
    }
  }

  /**
   * Sends the spooled batches, oldest first, until the spool is empty or the API
   * stays unreachable through the retries.
   * @throws {ApiError} kind 'revoked' when the API refuses the device token: stop the collector
   */
  flush(): Promise<FlushResult> {
    const { api, spool, log, retryDelaysMs, signal } = this.#o
    return flushSpool({ spool, noun: 'telemetry', send: (text) => api.sendTelemetry(text), log, retryDelaysMs, signal })
  }
}

export interface FlushOptions {
  spool: Spool
  /** What the batches hold, for the log: 'telemetry', 'pool statistics'. */
  noun: string
  /** Sends one batch's JSON text; the API stores a batch id once. */
  send(text: string): Promise<{ duplicate: boolean }>
  log: (line: string) => void
  /** Waits between attempts at one batch before leaving it for the next flush (default 0.5 s, 2 s, 5 s). */
  retryDelaysMs?: readonly number[]
  signal?: AbortSignal
}

/**
 * Sends a spool's batches, oldest first, each deleted once the API acknowledged it
 * (or refused it as invalid: sending it again would be refused again), until the
 * spool is empty or the API stays unreachable through the retries.
 * @throws {ApiError} kind 'revoked' when the API refuses the device token
 */
export async function flushSpool(options: FlushOptions): Promise<FlushResult> {
  const { spool, noun, log, signal } = options
  const delays = options.retryDelaysMs ?? [500, 2000, 5000]
  const result: FlushResult = { sent: 0, duplicates: 0, refused: 0, pending: 0 }
  let entry
  while ((entry = spool.oldest()) && !signal?.aborted) {
    let text: string
    try {
      text = await spool.read(entry)
    } catch (error) {
      log(`Dropped spooled ${noun} batch ${entry.batchId}: cannot read it (${(error as Error).message})`)
      await spool.remove(entry)
      continue
    }
    let lastError: ApiError | undefined
    for (let attempt = 0; attempt <= delays.length && !signal?.aborted; attempt++) {
      if (attempt > 0) await sleep(delays[attempt - 1], signal)
      if (signal?.aborted) break
      try {
        const ack = await options.send(text)
        await spool.remove(entry)
        if (ack.duplicate) result.duplicates++
        else result.sent++
        lastError = undefined
        break
      } catch (error) {
        if (!(error instanceof ApiError)) throw error
        if (error.kind === 'revoked') throw error
        if (error.kind === 'rejected') {
          // Sending it again would be refused again: a batch must not block the spool forever.
          log(`Dropped ${noun} batch ${entry.batchId}: the API refused it as invalid: ${error.message}`)
          await spool.remove(entry)
          result.refused++
          lastError = undefined
          break
        }
        lastError = error
      }
    }
    if (lastError || signal?.aborted) {
      result.pending = spool.size
      if (lastError) log(`${lastError.message}; ${spool.size} ${noun} batches kept in the spool for later`)
      return result
    }
  }
  result.pending = spool.size
  return result
}
