/**
 * Failed-login counting per account, on top of the per-address rate limit, so
 * guessing one account's password from many addresses is slowed down too.
 * In memory: each API node counts its own share.
 */
export class LoginThrottle {
  readonly #failures = new Map<string, { count: number; since: number }>()

  constructor(readonly maxFailures: number, readonly windowMs = 60_000) {}

  /** True when the account has failed too often within the window. */
  blocked(account: string, now = Date.now()): boolean {
    const entry = this.#failures.get(account)
    if (!entry || now - entry.since > this.windowMs) return false
    return entry.count >= this.maxFailures
  }

  fail(account: string, now = Date.now()): void {
    const entry = this.#failures.get(account)
    if (!entry || now - entry.since > this.windowMs) this.#failures.set(account, { count: 1, since: now })
    else entry.count++
    // Bounded memory: forget the oldest accounts first.
    if (this.#failures.size > 50_000) this.#failures.delete(this.#failures.keys().next().value!)
  }

  succeed(account: string): void {
    this.#failures.delete(account)
  }
}
