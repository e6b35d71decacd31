/** Cases holding the fast schema checker to typebox's answers. */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Value } from 'typebox/value'
import { compileChecker } from '../checker.ts'
import { BlockKind, BlockV1, BlockV2, WrappedKeyring } from '../schema.ts'
import v1 from '../vectors/v1.json' with { type: 'json' }
import v2 from '../vectors/v2.json' with { type: 'json' }
import type { TestCase } from './case.ts'

// Values near every boundary the schemas draw: lengths, alphabets, integer limits.
const b64char = fc.constantFrom(...'AQgw+/_-=Zz09é😀 '.split(''))
const field = fc.oneof(
  fc.string({ unit: b64char, minLength: 14, maxLength: 26 }),
  fc.string({ unit: b64char, maxLength: 40 }),
  fc.constantFrom(0, 1, -1, 1.5, 600_000, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, 'AES-256-GCM', 'PBKDF2', 'SHA-256', 1, 2),
  fc.constantFrom(null, true, [], {}, 'credentials', 'pool_api_key'),
  fc.anything(),
)

/** Arbitrary edits of a valid value: drop, add or replace a key, possibly one level down. */
function mutated(valid: Record<string, unknown>) {
  const keys = Object.keys(valid)
  const edit = fc.record({ key: fc.constantFrom(...keys, 'extra', '__proto__'), action: fc.constantFrom('drop', 'set', 'nested'), value: field })
  return fc.array(edit, { maxLength: 3 }).map((edits) => {
    const copy: Record<string, unknown> = structuredClone(valid)
    for (const { key, action, value } of edits) {
      const inner = copy[key]
      if (action === 'drop') delete copy[key]
      else if (action === 'nested' && typeof inner === 'object' && inner !== null) {
        const innerKeys = Object.keys(inner)
        ;(inner as Record<string, unknown>)[innerKeys[fc.stringify(value).length % innerKeys.length]!] = value
      } else Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true })
    }
    return copy
  })
}

const pairs = [
  ['BlockV1', BlockV1, v1.vectors[0]!.block],
  ['BlockV2', BlockV2, v2.blocks[0]!.block],
  ['WrappedKeyring', WrappedKeyring, v2.keyrings[0]!.wrapped],
] as const

export const schemaCases: TestCase[] = [
  ...pairs.map(([name, schema, valid]): TestCase => ({
    name: `fast schema checker agrees with typebox Value.Check on edited ${name} values`,
    fn: () => {
      const fast = compileChecker(schema as unknown as Record<string, unknown>)
      assert.equal(fast(valid), true)
      fc.assert(fc.property(mutated(valid), (value) => {
        assert.equal(fast(value), Value.Check(schema, value), fc.stringify(value))
      }), { numRuns: 2000 })
    },
  })),
  {
    name: 'fast schema checker agrees with typebox on block kinds and refuses unknown keywords',
    fn: () => {
      const fast = compileChecker(BlockKind as unknown as Record<string, unknown>)
      fc.assert(fc.property(field, (value) => assert.equal(fast(value), Value.Check(BlockKind, value))), { numRuns: 500 })
      assert.throws(() => compileChecker({ type: 'array', items: {} }), { name: 'TypeError', message: 'Cannot compile schema check: unsupported keyword items' })
      assert.throws(() => compileChecker({ type: 'boolean' }), { name: 'TypeError', message: 'Cannot compile schema check: unsupported type boolean' })
    },
  },
]
