/**
 * Test-only WebCrypto wrappers, passed as `{ crypto }` to the e2ee functions:
 * one replays fixed "random" bytes to produce vectors, one counts derivations to
 * prove the key cache works. Never use them outside tests and the vector script.
 */
import type { WebCrypto } from '../crypto_service.ts'

/**
 * A WebCrypto whose `getRandomValues` hands out `chunks` in order, each exactly the
 * size asked for, and throws when the order or sizes differ from what the test expects.
 * @example encryptObject(obj, pass, { crypto: replayRandom([salt, iv]) })
 */
export function replayRandom(chunks: readonly Uint8Array[], base: WebCrypto = globalThis.crypto): WebCrypto {
  const queue = [...chunks]
  return {
    subtle: base.subtle,
    getRandomValues<T extends ArrayBufferView | null>(array: T): T {
      const next = queue.shift()
      if (!array || !next || next.length !== array.byteLength) {
        throw new Error(`Cannot replay random bytes: asked for ${array?.byteLength}, next is ${next?.length}`)
      }
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(next)
      return array
    },
  } as WebCrypto
}

/** Calls counted per SubtleCrypto method name, e.g. `counts.deriveKey`. */
export type CallCounts = Record<string, number>

/**
 * A WebCrypto that counts every `crypto.subtle` call by method name; PBKDF2 runs
 * once per `deriveKey`, so that count is the number of key derivations.
 */
export function countingCrypto(base: WebCrypto = globalThis.crypto): { crypto: WebCrypto; counts: CallCounts } {
  const counts: CallCounts = {}
  const subtle = new Proxy(base.subtle, {
    get(target, method) {
      const member = Reflect.get(target, method, target) as unknown
      if (typeof member !== 'function') return member
      // Re-bind to the real SubtleCrypto: its methods throw on any other `this`.
      return (...args: unknown[]) => {
        counts[String(method)] = (counts[String(method)] ?? 0) + 1
        return member.apply(target, args)
      }
    },
  })
  const crypto = { subtle, getRandomValues: base.getRandomValues.bind(base) } as WebCrypto
  return { crypto, counts }
}
