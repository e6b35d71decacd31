/**
 * Anti-rollback: remembers the highest counter accepted per (tenant, kind, subject)
 * and refuses an older block, so a hostile server cannot serve a stale password.
 * The state is plain JSON so the Deno edge keeps it on disk and the PWA in IndexedDB.
 */
import { RollbackError } from './errors.ts'

/** What a counter counts: the saves of one kind of block for one subject of one tenant. */
export interface RollbackScope {
  tenantId: string
  kind: string
  subjectId: string
}

/** The serialized state: scope key (JSON of [tenant, kind, subject]) → highest counter. */
export interface RollbackSnapshot {
  version: 1
  highest: Record<string, number>
}

/** Highest accepted counters. Create with {@link createRollbackGuard}. */
export interface RollbackGuard {
  /** Highest counter accepted for the scope, 0 when none. */
  highest(scope: RollbackScope): number
  /** Throws RollbackError when `counter` is below the highest accepted; re-reading the same counter is fine. */
  check(scope: RollbackScope, counter: number): void
  /** Checks, then remembers `counter` as the highest for the scope (and calls `onChange`). */
  accept(scope: RollbackScope, counter: number): void
  /** The state to persist; pass it back to {@link createRollbackGuard} or {@link rollbackGuardFromJSON}. */
  toJSON(): RollbackSnapshot
}

/** Options of {@link createRollbackGuard}. */
export interface RollbackGuardOptions {
  /** Called after each raise, with the new state, so the caller can persist it. */
  onChange?: (snapshot: RollbackSnapshot) => void
}

// A JSON array cannot collide the way a '|'-joined key could ("a|b"+"c" vs "a"+"b|c").
const keyOf = (scope: RollbackScope) => JSON.stringify([scope.tenantId, scope.kind, scope.subjectId])

/**
 * Creates a guard, empty or restored from a snapshot.
 * @example
 * const guard = createRollbackGuard(saved, { onChange: (s) => Deno.writeTextFileSync(path, JSON.stringify(s)) })
 * await decryptBlock(key, block, context, { guard })
 */
export function createRollbackGuard(snapshot?: RollbackSnapshot, options: RollbackGuardOptions = {}): RollbackGuard {
  const highest = new Map<string, number>(snapshot ? Object.entries(snapshot.highest) : [])
  const guard: RollbackGuard = {
    highest: (scope) => highest.get(keyOf(scope)) ?? 0,
    check(scope, counter) {
      const known = guard.highest(scope)
      if (counter < known) throw new RollbackError(known, counter)
    },
    accept(scope, counter) {
      guard.check(scope, counter)
      if (counter === guard.highest(scope)) return
      highest.set(keyOf(scope), counter)
      options.onChange?.(guard.toJSON())
    },
    toJSON: () => ({ version: 1, highest: Object.fromEntries(highest) }),
  }
  return guard
}

/**
 * Restores a guard from persisted JSON (text or parsed), refusing anything that
 * is not a snapshot: a corrupt file must not silently reset the protection.
 */
export function rollbackGuardFromJSON(json: unknown, options: RollbackGuardOptions = {}): RollbackGuard {
  const value: unknown = typeof json === 'string' ? JSON.parse(json) : json
  const snapshot = value as RollbackSnapshot
  const valid =
    typeof value === 'object' && value !== null && snapshot.version === 1 &&
    typeof snapshot.highest === 'object' && snapshot.highest !== null &&
    Object.values(snapshot.highest).every((n) => Number.isSafeInteger(n) && n >= 1)
  if (!valid) throw new TypeError('Cannot restore anti-rollback state: it is not a saved rollback guard')
  return createRollbackGuard(snapshot, options)
}
