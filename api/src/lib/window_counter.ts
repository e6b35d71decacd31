/**
 * Counts events per key in fixed windows (in memory: each API node counts its own
 * share, like lib/login_throttle.ts). Bounded: the oldest keys are forgotten first.
 */
export class WindowCounter {
  readonly #entries = new Map<string, { count: number; since: number }>()

  constructor(readonly windowMs = 60_000, readonly maxKeys = 50_000) {}

  /** Records one event for `key` and returns how many it has had in the current window. */
  hit(key: string, now = Date.now()): number {
    const entry = this.#entries.get(key)
    if (!entry || now - entry.since > this.windowMs) {
      this.#entries.delete(key)
      this.#entries.set(key, { count: 1, since: now })
      if (this.#entries.size > this.maxKeys) this.#entries.delete(this.#entries.keys().next().value!)
      return 1
    }
    return ++entry.count
  }

  /** The current window's count for `key`, without recording anything. */
  count(key: string, now = Date.now()): number {
    const entry = this.#entries.get(key)
    return !entry || now - entry.since > this.windowMs ? 0 : entry.count
  }
}
