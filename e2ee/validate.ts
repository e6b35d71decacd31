/**
 * Schema checks run before any decryption, so a malformed block fails with the
 * field at fault instead of a crypto error. Uses typebox's interpreting
 * `Value.Check`/`Value.Errors`, not its JIT compiler: the PWA runs under a CSP
 * without 'unsafe-eval'. This is the only e2ee module that imports typebox.
 */
import { Value } from 'typebox/value'
import type { TSchema } from 'typebox'
import { compileChecker, type Checker } from './checker.ts'
import { InvalidBlockError } from './errors.ts'
import { BlockKind, BlockV1, BlockV2, DeviceKeyGrant, DevicePublicKey, WrappedKeyring } from './schema.ts'

/** One schema error in words a user (or support) can act on. */
function describe(error: ReturnType<typeof Value.Errors>[number]): string {
  const at = error.instancePath === '' ? 'it' : `field ${error.instancePath.slice(1)}`
  const params = error.params as { requiredProperties?: string[]; additionalProperties?: string[] }
  switch (error.keyword) {
    case 'required':
      return `missing ${params.requiredProperties?.join(', ')}`
    case 'additionalProperties':
      return `unexpected ${params.additionalProperties?.join(', ')}`
    case 'pattern':
      return `${at} is not in the expected base64 form or length`
    default:
      return `${at} ${error.message}`
  }
}

// additionalProperties reports a boolean error first (`schema is false`) and the
// readable one after; show the most useful error rather than the first.
const PRIORITY = ['required', 'additionalProperties', 'type', 'const']

const checkers = new WeakMap<TSchema, Checker>()

function check<T>(schema: TSchema, value: unknown, what: string): T {
  let fast = checkers.get(schema)
  if (!fast) checkers.set(schema, (fast = compileChecker(schema as Record<string, unknown>)))
  // The fast check may only say yes; on no, typebox decides and explains.
  if (fast(value) || Value.Check(schema, value)) return value as T
  const errors = Value.Errors(schema, value).filter((e) => e.keyword !== 'boolean')
  const rank = (keyword: string) => (PRIORITY.includes(keyword) ? PRIORITY.indexOf(keyword) : PRIORITY.length)
  const first = [...errors].sort((a, b) => rank(a.keyword) - rank(b.keyword))[0]
  if (!first) throw new InvalidBlockError(what, '', 'it is not a JSON object of the expected shape')
  throw new InvalidBlockError(what, first.instancePath, describe(first))
}

/** Returns the value as a v1 block, or throws InvalidBlockError naming the bad field. */
export function parseBlockV1(value: unknown): BlockV1 {
  return check<BlockV1>(BlockV1, value, 'v1 block')
}

/** Returns the value as a v2 block, or throws InvalidBlockError naming the bad field. */
export function parseBlockV2(value: unknown): BlockV2 {
  return check<BlockV2>(BlockV2, value, 'v2 block')
}

/** Returns the value as a wrapped keyring, or throws InvalidBlockError naming the bad field. */
export function parseWrappedKeyring(value: unknown): WrappedKeyring {
  return check<WrappedKeyring>(WrappedKeyring, value, 'keyring')
}

/** Returns the value as a device public key (JWK), or throws InvalidBlockError naming the bad field. */
export function parseDevicePublicKey(value: unknown): DevicePublicKey {
  return check<DevicePublicKey>(DevicePublicKey, value, 'device public key')
}

/** Returns the value as a device key grant, or throws InvalidBlockError naming the bad field. */
export function parseDeviceKeyGrant(value: unknown): DeviceKeyGrant {
  return check<DeviceKeyGrant>(DeviceKeyGrant, value, 'device key grant')
}

/** True when `kind` is one of the block kinds the schema knows. */
const isKind = compileChecker(BlockKind as unknown as Record<string, unknown>)
export function isBlockKind(kind: unknown): kind is BlockKind {
  return isKind(kind)
}

const decoder = new TextDecoder()

/**
 * The JSON value inside an authenticated plaintext. It can only fail if the writer
 * encrypted something that was not JSON, so that is reported as a bad block.
 */
export function parsePlaintext<T>(plaintext: Uint8Array, what: string): T {
  try {
    return JSON.parse(decoder.decode(plaintext)) as T
  } catch {
    throw new InvalidBlockError(what, '/ciphertext', 'its content is not JSON')
  }
}
