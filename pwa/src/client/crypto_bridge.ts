/**
 * The page's one door to the crypto worker: typed calls with timeouts. The worker
 * holds the data key; the page hands a passphrase over once and forgets it.
 * @example const status = await cryptoBridge.call('unlock', { keyring, passphrase, tenantId, remember: false, autoLockMs: 900_000 })
 */
import type { CryptoFailure, CryptoOp, CryptoOps, CryptoRequest, CryptoResponse, LockStatus } from '../shared/crypto_protocol.ts'

/** A failure the worker reported; `code` is e2ee's (`wrong_passphrase`, `rollback`…), `locked`, or `timeout`. */
export class CryptoError extends Error {
  override readonly name = 'CryptoError'
  constructor(readonly code: string, message: string) {
    super(message)
  }
}

// PBKDF2 at 600 000 iterations takes about a second on a phone; allow slow ones.
// A grant re-runs that PBKDF2 to get a key it may wrap (worker/device_grants.ts); so do a
// new keyring and, after a reload, the first re-encryption of a rotation (its old key).
const SLOW_OPS = new Set<CryptoOp>(['createKeyring', 'unlock', 'grantDevice', 'beginRotation', 'reencryptBlock'])
const SLOW_MS = 60_000
const FAST_MS = 15_000

interface Pending {
  resolve: (value: unknown) => void
  reject: (error: Error) => void
  timer: ReturnType<typeof setTimeout>
}

export interface CryptoBridge {
  call<K extends CryptoOp>(op: K, args: CryptoOps[K]['args']): Promise<CryptoOps[K]['result']>
  /** Called when the worker locks itself after the idle time. */
  onLocked(listener: (status: LockStatus) => void): () => void
}

/** Starts the worker and returns the bridge to it. */
export function createCryptoBridge(worker: Worker = new Worker(new URL('../worker/crypto.worker.ts', import.meta.url), { type: 'module', name: 'crypto' })): CryptoBridge {
  const pending = new Map<number, Pending>()
  const lockListeners = new Set<(status: LockStatus) => void>()
  let nextId = 1

  worker.onmessage = (event: MessageEvent<CryptoResponse>) => {
    const message = event.data
    if ('event' in message) {
      for (const listener of lockListeners) listener(message.status)
      return
    }
    const call = pending.get(message.id)
    if (!call) return
    pending.delete(message.id)
    clearTimeout(call.timer)
    if (message.ok) call.resolve(message.result)
    else call.reject(toError(message.error))
  }
  worker.onerror = (event) => {
    event.preventDefault()
    for (const [id, call] of pending) {
      pending.delete(id)
      clearTimeout(call.timer)
      call.reject(new CryptoError('worker_failed', 'Cannot run encryption: the crypto worker stopped; reload the app'))
    }
  }

  return {
    call(op, args) {
      const id = nextId++
      return new Promise((resolve, reject) => {
        const ms = SLOW_OPS.has(op) ? SLOW_MS : FAST_MS
        const timer = setTimeout(() => {
          pending.delete(id)
          reject(new CryptoError('timeout', `Cannot ${op}: the crypto worker did not answer within ${ms / 1000} s`))
        }, ms)
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer })
        worker.postMessage({ id, op, args } satisfies CryptoRequest)
      })
    },
    onLocked(listener) {
      lockListeners.add(listener)
      return () => lockListeners.delete(listener)
    },
  }
}

const toError = (failure: CryptoFailure) => new CryptoError(failure.code, failure.message)

/** The app's bridge, started on first use (one worker per page). */
let shared: CryptoBridge | undefined
export function cryptoBridge(): CryptoBridge {
  return (shared ??= createCryptoBridge())
}
