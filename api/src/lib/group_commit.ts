/**
 * Group commit for independent one-row writes: writes that arrive while earlier
 * ones are in the database are sent together as one statement, so under load
 * the statement, its commit and the round trips are shared. An owner's phone,
 * a key rotation re-encrypting every block and many devices syncing all write
 * this way at once.
 *
 * A write alone is sent at once (after the current turn of the event loop, so
 * writes made in the same turn travel together); no write waits for a timer.
 * Writes with the same key (one miner) never share a batch or run at the same
 * time, so they apply in arrival order and batches cannot deadlock on each
 * other's rows. When the database refuses a batch as a whole, each write is run
 * alone, so one write's fault reaches only its caller; that is safe because a
 * refused statement changed nothing. A lost connection is passed to every
 * caller instead: the statement may have committed, and running it again could
 * apply a write twice.
 */

export interface GroupCommitOptions<I, R> {
  /** Runs the items as one statement; one result per item, in order. */
  runBatch(items: readonly I[]): Promise<R[]>
  /** Runs one item alone, for the items of a batch the database refused. */
  runOne(item: I): Promise<R>
  /** Items with one key (one row) are never in one batch or in flight together. */
  keyOf(item: I): string
  /** Only items of one group share a statement (one statement text per group). */
  groupOf(item: I): string
  /** True when a batch's error proves it changed nothing (a database's refusal). */
  changedNothing(error: unknown): boolean
  /** Largest batch (default 64). */
  maxBatch?: number
  /**
   * Batches in the database at once (default 1, as in a database's own group commit:
   * with two, when the API itself was the bottleneck its writes trickled in and went
   * one or two per statement; with one, the writes made during a flush all go in the next).
   */
  maxInFlight?: number
}

interface Entry<I, R> {
  item: I
  key: string
  group: string
  resolve(result: R): void
  reject(error: unknown): void
}

export class GroupCommit<I, R> {
  readonly #options: GroupCommitOptions<I, R>
  readonly #maxBatch: number
  readonly #maxInFlight: number
  #queue: Entry<I, R>[] = []
  readonly #busyKeys = new Set<string>()
  #inFlight = 0
  #scheduled = false

  constructor(options: GroupCommitOptions<I, R>) {
    this.#options = options
    this.#maxBatch = options.maxBatch ?? 64
    this.#maxInFlight = options.maxInFlight ?? 1
  }

  /** Writes `item` with whatever else is waiting; settles with its own result or error. */
  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, key: this.#options.keyOf(item), group: this.#options.groupOf(item), resolve, reject })
      if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(() => {
          this.#scheduled = false
          this.#pump()
        })
      }
    })
  }

  #pump(): void {
    while (this.#inFlight < this.#maxInFlight) {
      const batch = this.#take()
      if (batch.length === 0) return
      this.#inFlight++
      for (const entry of batch) this.#busyKeys.add(entry.key)
      void this.#run(batch).finally(() => {
        this.#inFlight--
        for (const entry of batch) this.#busyKeys.delete(entry.key)
        this.#pump()
      })
    }
  }

  // The oldest runnable entry picks the group; then every queued entry of that group
  // whose key is free joins, oldest first, up to the batch limit.
  #take(): Entry<I, R>[] {
    const batch: Entry<I, R>[] = []
    const keys = new Set<string>()
    const rest: Entry<I, R>[] = []
    let group: string | undefined
    for (const entry of this.#queue) {
      const free = batch.length < this.#maxBatch && !this.#busyKeys.has(entry.key) && !keys.has(entry.key)
      if (free && (group === undefined || entry.group === group)) {
        group = entry.group
        batch.push(entry)
        keys.add(entry.key)
      } else {
        // A later write of a key already taken must wait for it, even in another group.
        keys.add(entry.key)
        rest.push(entry)
      }
    }
    this.#queue = rest
    return batch
  }

  async #run(batch: Entry<I, R>[]): Promise<void> {
    let results: R[]
    try {
      results = await this.#options.runBatch(batch.map((entry) => entry.item))
    } catch (error) {
      if (batch.length > 1 && this.#options.changedNothing(error)) {
        await Promise.all(batch.map((entry) => this.#options.runOne(entry.item).then(entry.resolve, entry.reject)))
      } else {
        for (const entry of batch) entry.reject(error)
      }
      return
    }
    batch.forEach((entry, index) => entry.resolve(results[index]!))
  }
}
