/**
 * A spool of batches waiting for the API's acknowledgement (telemetry in
 * `<state-dir>/spool/`, pool statistics in `<state-dir>/pool_spool/`), one JSON file
 * per batch, named `<sequence>-<batch_id>.json` so the directory's sort order is the
 * order they were made. Files are written atomically.
 *
 * Bounded by count and bytes: adding past either bound drops the OLDEST batches
 * (the newest figures are worth more) and reports how many. The in-memory index
 * holds one small entry per file, so it is bounded by the same limits.
 */
import { ensureDir, writeFileAtomic } from './state.ts'

/** Default bounds: 10 000 batches or 256 MiB, whichever comes first. */
export const SPOOL_DEFAULTS = { maxBatches: 10_000, maxBytes: 256 * 1024 * 1024 } as const

export interface SpoolOptions {
  maxBatches?: number
  maxBytes?: number
}

/** What a spool holds: any batch the API stores once per id. */
export interface SpoolableBatch {
  batch_id: string
}

/** One spooled batch. */
export interface SpoolEntry {
  name: string
  batchId: string
  bytes: number
}

/** What {@linkcode Spool.add} had to drop to stay within bounds. */
export interface Dropped {
  batches: number
  bytes: number
}

const NAME = /^(\d{16})-([0-9a-f-]{36})\.json$/

export class Spool {
  readonly dir: string
  readonly #maxBatches: number
  readonly #maxBytes: number
  #entries: SpoolEntry[] = []
  #bytes = 0
  #next = 0

  private constructor(dir: string, options: SpoolOptions) {
    this.dir = dir
    this.#maxBatches = options.maxBatches ?? SPOOL_DEFAULTS.maxBatches
    this.#maxBytes = options.maxBytes ?? SPOOL_DEFAULTS.maxBytes
  }

  /** Opens (and creates) the spool in `dir`, picking up what an earlier run left. */
  static async open(dir: string, options: SpoolOptions = {}): Promise<Spool> {
    const spool = new Spool(dir, options)
    await ensureDir(dir)
    for await (const item of Deno.readDir(dir)) {
      if (!item.isFile) continue
      // A temp file is a write that a crash interrupted before its rename.
      if (item.name.includes('.tmp-')) {
        await Deno.remove(`${dir}/${item.name}`).catch(() => {})
        continue
      }
      const match = NAME.exec(item.name)
      if (!match) continue
      const { size } = await Deno.stat(`${dir}/${item.name}`)
      spool.#entries.push({ name: item.name, batchId: match[2], bytes: size })
      spool.#bytes += size
      spool.#next = Math.max(spool.#next, Number(match[1]) + 1)
    }
    spool.#entries.sort((a, b) => (a.name < b.name ? -1 : 1))
    return spool
  }

  /** Batches waiting. */
  get size(): number {
    return this.#entries.length
  }

  /** Bytes waiting. */
  get bytes(): number {
    return this.#bytes
  }

  /** The oldest batch, if any. */
  oldest(): SpoolEntry | undefined {
    return this.#entries[0]
  }

  /** Writes `batch` to disk, then drops the oldest batches beyond the bounds (never the one just added). */
  async add(batch: SpoolableBatch): Promise<Dropped> {
    const text = JSON.stringify(batch)
    const name = `${String(this.#next++).padStart(16, '0')}-${batch.batch_id}.json`
    await writeFileAtomic(`${this.dir}/${name}`, text)
    const bytes = new TextEncoder().encode(text).length
    this.#entries.push({ name, batchId: batch.batch_id, bytes })
    this.#bytes += bytes
    const dropped: Dropped = { batches: 0, bytes: 0 }
    while (this.#entries.length > 1 && (this.#entries.length > this.#maxBatches || this.#bytes > this.#maxBytes)) {
      const gone = this.#entries[0]
      await this.remove(gone)
      dropped.batches++
      dropped.bytes += gone.bytes
    }
    return dropped
  }

  /** The batch's JSON text, as it will be sent. */
  read(entry: SpoolEntry): Promise<string> {
    return Deno.readTextFile(`${this.dir}/${entry.name}`)
  }

  /** Deletes a batch: after the API acknowledged it, or refused it for good. */
  async remove(entry: SpoolEntry): Promise<void> {
    const index = this.#entries.indexOf(entry)
    if (index === -1) return
    this.#entries.splice(index, 1)
    this.#bytes -= entry.bytes
    await Deno.remove(`${this.dir}/${entry.name}`).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error
    })
  }
}
