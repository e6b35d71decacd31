/** Cases for v2 blocks: vectors, round trips, context binding and tampering. */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { base64ToBytes } from '../base64.ts'
import {
  ContextMismatchError, createCryptoService, decryptBlock, encryptBlock, InvalidBlockError, RollbackError,
  UndecryptableBlockError, type BlockContext, type DataKey,
} from '../mod.ts'
import vectors from '../vectors/v2.json' with { type: 'json' }
import { rejectsWith, tamper, type TestCase } from './case.ts'
import { replayRandom } from './doubles.ts'

const UNDECRYPTABLE = 'Cannot decrypt: wrong key, damaged data, or the block belongs to another miner, kind, tenant or counter'
const service = createCryptoService()
const raw = base64ToBytes(vectors.blocks[0]!.data_key)
const keyFor = (tenantId: string, kid = vectors.blocks[0]!.kid): Promise<DataKey> => service.importDataKey(raw, kid, tenantId)
const ctx: BlockContext = { tenantId: 'tenant-a', kind: 'credentials', subjectId: 'miner-1', counter: 7 }
const { counter: _, ...expected } = ctx

const vectorCases: TestCase[] = vectors.blocks.map((v) => ({
  name: `v2 block vector "${v.name}": encryptBlock with its key and iv gives the exact block, and decrypts back`,
  fn: async () => {
    const key = await service.importDataKey(base64ToBytes(v.data_key), v.kid, v.tenant_id)
    const context = { tenantId: v.tenant_id, kind: v.kind as BlockContext['kind'], subjectId: v.subject_id, counter: v.counter }
    assert.deepEqual(await encryptBlock(key, v.plaintext, context, { crypto: replayRandom([base64ToBytes(v.iv)]) }), v.block)
    assert.deepEqual(await decryptBlock(key, v.block, { ...context, counter: v.counter }), v.plaintext)
  },
}))

export const v2Cases: TestCase[] = [
  ...vectorCases,
  {
    name: 'v2 decryptBlock(encryptBlock(x)) returns any JSON value x in any valid context',
    fn: async () => {
      const key = await keyFor('tenant-a')
      const kind = fc.constantFrom('credentials', 'connection_full', 'pool_api_key' as const)
      const id = fc.string({ minLength: 1 }).filter((s) => !s.includes('|'))
      await fc.assert(fc.asyncProperty(fc.jsonValue(), kind, id, fc.integer({ min: 1 }), async (value, kind, subjectId, counter) => {
        const context = { tenantId: 'tenant-a', kind, subjectId, counter }
        const block = await encryptBlock(key, value, context)
        assert.deepEqual(await decryptBlock(key, block, { ...context, counter: undefined }), JSON.parse(JSON.stringify(value)))
      }), { numRuns: 300 })
    },
  },
  {
    name: 'v2 block replayed under another miner, kind, tenant, kid or counter fails to decrypt',
    fn: async () => {
      const key = await keyFor('tenant-a')
      const block = await encryptBlock(key, { password: 'p' }, ctx)
      const otherKid = 'AAAAAAAAAAAAAAAAAAAAAA'
      const replays: [string, DataKey, unknown, typeof expected][] = [
        ['miner', key, block, { ...expected, subjectId: 'miner-2' }],
        ['kind', key, block, { ...expected, kind: 'connection_full' }],
        ['tenant (same key bytes)', await keyFor('tenant-b'), block, { ...expected, tenantId: 'tenant-b' }],
        ['kid relabelled', await keyFor('tenant-a', otherKid), { ...block, kid: otherKid }, expected],
        ['counter', key, { ...block, counter: 8 }, expected],
      ]
      for (const [what, k, b, e] of replays) {
        await rejectsWith(() => decryptBlock(k, b, e), UndecryptableBlockError, UNDECRYPTABLE).catch((error) => {
          throw new Error(`${what}: ${error}`)
        })
      }
    },
  },
  {
    name: 'v2 decryptBlock names the keyring, tenant or counter when they differ in clear',
    fn: async () => {
      const key = await keyFor('tenant-a')
      const block = await encryptBlock(key, 1, ctx)
      const other = await keyFor('tenant-a', 'BBBBBBBBBBBBBBBBBBBBBB')
      const kidError = await rejectsWith<ContextMismatchError>(() => decryptBlock(other, block, expected), ContextMismatchError,
        `Cannot decrypt: block belongs to another keyring (expected BBBBBBBBBBBBBBBBBBBBBB, got ${block.kid})`)
      assert.equal(kidError.field, 'keyring')
      await rejectsWith(() => decryptBlock(key, block, { ...expected, tenantId: 'tenant-b' }), ContextMismatchError, /another tenant/)
      await rejectsWith(() => decryptBlock(key, block, { ...expected, counter: 6 }), ContextMismatchError, /another counter \(expected 6, got 7\)/)
      await rejectsWith(() => decryptBlock(key, block, { ...expected, minCounter: 8 }), RollbackError, /^Cannot accept block: older than the copy you already have/)
      assert.equal(await decryptBlock(key, block, { ...expected, counter: 7, minCounter: 7 }), 1)
    },
  },
  {
    name: 'v2 decryptBlock detects any flipped bit in the ciphertext, tag or iv',
    fn: async () => {
      const key = await keyFor('tenant-a')
      const block = await encryptBlock(key, { pool_password: 'secret' }, ctx)
      const field = fc.constantFrom('ciphertext', 'tag', 'iv' as const)
      await fc.assert(fc.asyncProperty(field, fc.nat(), async (name, n) => {
        const tampered = tamper(block, name, n)
        await rejectsWith(() => decryptBlock(key, tampered, expected), UndecryptableBlockError, UNDECRYPTABLE)
      }), { numRuns: 500 })
    },
  },
  {
    name: 'v2 decryptBlock refuses malformed blocks with InvalidBlockError naming the field',
    fn: async () => {
      const key = await keyFor('tenant-a')
      const block = await encryptBlock(key, 1, ctx)
      const table: [unknown, string, RegExp][] = [
        [{ ...block, counter: 0 }, '/counter', /^Cannot read v2 block: field counter/],
        [{ ...block, kid: 'not/base64url' }, '/kid', /field kid is not in the expected base64 form/],
        [{ ...block, version: 1 }, '/version', /field version/],
        [vectors.blocks[0]!.block.ciphertext, '', /^Cannot read v2 block: /],
      ]
      for (const [bad, path, message] of table) {
        const error = await rejectsWith<InvalidBlockError>(() => decryptBlock(key, bad, expected), InvalidBlockError, message)
        assert.equal(error.path, path)
      }
    },
  },
  {
    name: 'v2 encryptBlock refuses contexts that would make the AAD ambiguous, and keys of another tenant',
    fn: async () => {
      const key = await keyFor('tenant-a')
      await assert.rejects(encryptBlock(key, 1, { ...ctx, subjectId: 'a|b' }), { name: 'TypeError', message: "Cannot bind block context: subjectId must be a non-empty string without '|'" })
      await assert.rejects(encryptBlock(key, 1, { ...ctx, counter: 0 }), { name: 'TypeError', message: 'Cannot bind block context: counter must be an integer from 1' })
      await assert.rejects(encryptBlock(key, 1, { ...ctx, kind: 'other' as never }), { name: 'TypeError', message: 'Cannot bind block context: unknown kind "other"' })
      await rejectsWith(() => encryptBlock(key, 1, { ...ctx, tenantId: 'tenant-b' }), ContextMismatchError, /another tenant/)
    },
  },
  {
    name: 'v2 encryptBlock never repeats an iv over 100 000 blocks',
    timeout: 120_000,
    fn: async () => {
      const key = await keyFor('tenant-a')
      const ivs = new Set<string>()
      for (let batch = 0; batch < 100; batch++) {
        const blocks = await Promise.all(Array.from({ length: 1000 }, (_, i) => encryptBlock(key, 0, { ...ctx, counter: batch * 1000 + i + 1 })))
        for (const block of blocks) ivs.add(block.iv)
      }
      assert.equal(ivs.size, 100_000)
    },
  },
]
