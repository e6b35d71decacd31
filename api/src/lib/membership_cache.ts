/**
 * Memberships (role, allowed sites) cached per API process, so a request costs no
 * query to learn who is calling. Safe only while PostgreSQL's change notifications
 * flow: every change invalidates the entry, a lost listener empties and disables
 * the cache, and entries expire after `maxAgeMs` regardless.
 */
import type { Role } from '../schemas/common.ts'

export interface CachedMembership {
  role: Role
  allowedSiteIds: string[] | null
}

export class MembershipCache {
  readonly #entries = new Map<string, { value: CachedMembership; at: number }>()
  // Bumped on every invalidation: a load that started before one is not stored.
  #generation = 0
  #enabled = false

  constructor(readonly maxAgeMs = 30_000, readonly maxEntries = 20_000) {}

  static key(userId: string, tenantId: string): string {
    return `${userId}:${tenantId}`
  }

  get generation(): number {
    return this.#generation
  }

  get(key: string, now = Date.now()): CachedMembership | undefined {
    if (!this.#enabled) return undefined
    const entry = this.#entries.get(key)
    if (!entry || now - entry.at > this.maxAgeMs) return undefined
    return entry.value
  }

  /** Stores a value loaded from the database, unless something changed since `generation`. */
  set(key: string, value: CachedMembership, generation: number, now = Date.now()): void {
    if (!this.#enabled || generation !== this.#generation) return
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!)
    this.#entries.set(key, { value, at: now })
  }

  invalidate(key: string): void {
    this.#generation++
    this.#entries.delete(key)
  }

  /** Turns caching on (notifications flow) or off and empties it (they may have been missed). */
  setEnabled(enabled: boolean): void {
    this.#generation++
    this.#entries.clear()
    this.#enabled = enabled
  }
}
