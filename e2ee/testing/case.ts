/**
 * The shape of a runtime-neutral test case: vitest (`e2ee.test.ts`) and Deno
 * (`e2ee_test.ts`) both register every case, so the behaviour is checked once per
 * runtime from one source. Cases use only `node:assert/strict` and fast-check.
 */
import assert from 'node:assert/strict'
import { E2eeError } from '../errors.ts'

/** One test: a name that states the behaviour, and its body. */
export interface TestCase {
  name: string
  fn: () => Promise<void> | void
  /** Milliseconds, for the slow PBKDF2 cases (vitest's default is 30 s). */
  timeout?: number
}

/** An error class with the static side we need for `instanceof`. */
type ErrorClass = abstract new (...args: never[]) => Error

/**
 * Asserts that `action` rejects with an instance of `type` whose message matches
 * `message` (exact string or pattern), and returns the error for further checks.
 */
export async function rejectsWith<E extends Error>(action: () => Promise<unknown>, type: ErrorClass, message: string | RegExp): Promise<E> {
  let caught: unknown
  try {
    await action()
  } catch (error) {
    caught = error
  }
  assert.ok(caught instanceof type, `expected ${type.name}, got ${String(caught)}`)
  if (typeof message === 'string') assert.equal(caught.message, message)
  else assert.match(caught.message, message)
  if (caught instanceof E2eeError) assert.match(caught.message, /^Cannot [a-z].*: .*[^.]$/)
  return caught as E
}

/** A copy of `b64` (standard base64) with one bit flipped. */
export function flipBit(b64: string, bit: number): string {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
  bytes[bit >> 3]! ^= 1 << (bit & 7)
  return btoa(String.fromCharCode(...bytes))
}

/** Bits in a standard-base64 string's decoded bytes. */
export const bitsOf = (b64: string) => atob(b64).length * 8

/** The parts of a block a bit flip can target; the tag is the ciphertext's last 16 bytes. */
export const PARTS = ['ciphertext', 'tag', 'iv', 'salt'] as const

/** A copy of `block` with bit `n` (wrapped to the part's size) of `part` flipped. */
export function tamper<B extends { ciphertext: string; iv: string; salt?: string }>(block: B, part: (typeof PARTS)[number], n: number): B {
  if (part === 'tag') {
    const tagStart = bitsOf(block.ciphertext) - 128
    return { ...block, ciphertext: flipBit(block.ciphertext, tagStart + (n % 128)) }
  }
  const value = block[part]!
  return { ...block, [part]: flipBit(value, n % bitsOf(value)) }
}
