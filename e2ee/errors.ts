/**
 * Every error the e2ee module throws on purpose. Each is a class because a caller
 * catches it (the PWA shows the message, the edge skips the block), and each has a
 * stable `code` so a worker can send it across postMessage, where classes are lost.
 * Messages follow "Cannot <action>: <reason>" and are safe to show a user.
 */

/** Codes of the errors below, for callers that only see a serialized error. */
export type E2eeErrorCode =
  | 'wrong_passphrase'
  | 'undecryptable_block'
  | 'context_mismatch'
  | 'rollback'
  | 'invalid_block'
  | 'weak_kdf'
  | 'command_refused'
  | 'undecryptable_grant'

/**
 * Base class: `instanceof E2eeError` tells "ours, show it" from a bug. Subclasses
 * spell out `name` because the PWA bundle is minified and class names are lost.
 */
export abstract class E2eeError extends Error {
  abstract readonly code: E2eeErrorCode
}

/** The passphrase does not open the v1 block or keyring (or its bytes were damaged). */
export class WrongPassphraseError extends E2eeError {
  override readonly name = 'WrongPassphraseError'
  readonly code = 'wrong_passphrase'
  constructor(action = 'decrypt') {
    super(`Cannot ${action}: wrong passphrase or damaged data`)
  }
}

/**
 * A v2 block did not authenticate under the key and context given. AES-GCM cannot
 * tell a wrong key from a wrong AAD or a flipped bit, so the message names all of them.
 */
export class UndecryptableBlockError extends E2eeError {
  override readonly name = 'UndecryptableBlockError'
  readonly code = 'undecryptable_block'
  constructor() {
    super('Cannot decrypt: wrong key, damaged data, or the block belongs to another miner, kind, tenant or counter')
  }
}

/** What a ContextMismatchError found different from what the caller expected. */
export type ContextField = 'keyring' | 'tenant' | 'counter'

/** The block provably belongs elsewhere: another keyring (kid) or another counter. */
export class ContextMismatchError extends E2eeError {
  override readonly name = 'ContextMismatchError'
  readonly code = 'context_mismatch'
  constructor(
    readonly field: ContextField,
    readonly expected: string | number,
    readonly actual: string | number,
  ) {
    super(`Cannot decrypt: block belongs to another ${field} (expected ${expected}, got ${actual})`)
  }
}

/** The block is older than one already accepted for the same tenant, kind and subject. */
export class RollbackError extends E2eeError {
  override readonly name = 'RollbackError'
  readonly code = 'rollback'
  constructor(
    readonly highestAccepted: number,
    readonly offered: number,
  ) {
    super(`Cannot accept block: older than the copy you already have (counter ${offered} < ${highestAccepted})`)
  }
}

/** The value is not a well-formed block or keyring; `path` points at the bad field. */
export class InvalidBlockError extends E2eeError {
  override readonly name = 'InvalidBlockError'
  readonly code = 'invalid_block'
  constructor(
    what: string,
    readonly path: string,
    reason: string,
  ) {
    super(`Cannot read ${what}: ${reason}`)
  }
}

/** The keyring's KDF is below the floor we accept, so a stolen copy is cheap to guess. */
export class WeakKdfError extends E2eeError {
  override readonly name = 'WeakKdfError'
  readonly code = 'weak_kdf'
  constructor(
    readonly found: string,
    readonly required: string,
  ) {
    super(`Cannot unlock keyring: its key derivation (${found}) is weaker than required (${required})`)
  }
}

/**
 * A device key grant did not open with this device's private key: it was made for
 * another device, tenant or keyring, or its bytes were damaged.
 */
export class UndecryptableGrantError extends E2eeError {
  override readonly name = 'UndecryptableGrantError'
  readonly code = 'undecryptable_grant'
  constructor() {
    super('Cannot open device grant: it was made for another device, tenant or keyring, or is damaged')
  }
}
