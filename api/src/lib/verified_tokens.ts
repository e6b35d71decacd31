/**
 * Session tokens already verified by this process, by their exact text, until they
 * expire. A signed-in member sends the same token on every request; looking it up
 * costs a Map read, where verifying it again (decoding, and hashing it for the JWT
 * library's own cache) took about a tenth of a secret write's time in the API
 * process. The text is the key, so only a token that verified before is ever
 * answered from here, and an expired one is verified (and refused) again.
 */
import type { SessionClaims } from '../plugins/external/jwt.ts'

type Verified = SessionClaims & { exp?: number }

export class VerifiedTokens {
  readonly #entries = new Map<string, Verified>()

  /** At most `max` tokens are kept; the oldest entry goes first. */
  constructor(readonly max = 10_000) {}

  /** The claims of `token` if it verified before and has not expired since. */
  get(token: string, now = Date.now()): Verified | undefined {
    const claims = this.#entries.get(token)
    if (claims === undefined) return undefined
    if (claims.exp !== undefined && claims.exp * 1000 <= now) {
      this.#entries.delete(token)
      return undefined
    }
    return claims
  }

  set(token: string, claims: Verified): void {
    if (this.#entries.size >= this.max) this.#entries.delete(this.#entries.keys().next().value!)
    this.#entries.set(token, claims)
  }

  get size(): number {
    return this.#entries.size
  }
}
