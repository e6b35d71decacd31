/** Cases for v1 blocks: the seed's format, its vectors, and its failures. */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { base64ToBytes } from '../base64.ts'
import { createKeyCache, decryptObject, encryptObject, InvalidBlockError, WrongPassphraseError, type BlockV1 } from '../mod.ts'
import vectors from '../vectors/v1.json' with { type: 'json' }
import { rejectsWith, tamper, type TestCase } from './case.ts'
import { countingCrypto, replayRandom } from './doubles.ts'

const WRONG = 'Cannot decrypt: wrong passphrase or damaged data'
const cache = createKeyCache()
const sample = async () => encryptObject({ username: 'root', password: 'hunter2' }, 'sample passphrase', { cache })

const vectorCases: TestCase[] = vectors.vectors.flatMap((v) => [
  {
    name: `v1 vector "${v.name}": encryptObject with its salt and iv gives the exact block`,
    fn: async () => {
      const crypto = replayRandom([base64ToBytes(v.salt), base64ToBytes(v.iv)])
      assert.deepEqual(await encryptObject(v.plaintext, v.passphrase, { crypto }), v.block)
    },
  },
  {
    name: `v1 vector "${v.name}": decryptObject returns its plaintext`,
    fn: async () => assert.deepEqual(await decryptObject(v.block, v.passphrase), v.plaintext),
  },
])

export const v1Cases: TestCase[] = [
  ...vectorCases,
  {
    name: 'v1 decryptObject(encryptObject(x)) returns any JSON value x',
    timeout: 60_000,
    fn: () => fc.assert(fc.asyncProperty(fc.jsonValue(), fc.string(), async (value, passphrase) => {
      const block = await encryptObject(value, passphrase, { cache })
      // Compare with the JSON round trip: JSON turns -0 into 0, as the seed does.
      assert.deepEqual(await decryptObject(block, passphrase, { cache }), JSON.parse(JSON.stringify(value)))
    }), { numRuns: 12 }),
  },
  {
    name: 'v1 decryptObject refuses a wrong passphrase with WrongPassphraseError',
    fn: async () => {
      const block = await sample()
      await rejectsWith(() => decryptObject(block, 'sample passphrasE', { cache }), WrongPassphraseError, WRONG)
    },
  },
  {
    name: 'v1 decryptObject detects any flipped bit in the ciphertext, tag or iv',
    timeout: 60_000,
    fn: async () => {
      const block = await sample()
      const field = fc.constantFrom('ciphertext', 'tag', 'iv' as const)
      await fc.assert(fc.asyncProperty(field, fc.nat(), async (name, n) => {
        const tampered = tamper(block, name, n)
        await rejectsWith(() => decryptObject(tampered, 'sample passphrase', { cache }), WrongPassphraseError, WRONG)
      }), { numRuns: 200 })
    },
  },
  {
    name: 'v1 decryptObject detects a flipped bit in the salt',
    timeout: 60_000,
    fn: async () => {
      const block = await sample()
      // Each flip costs a fresh PBKDF2 (~50 ms), so check a spread of positions.
      for (const bit of [0, 7, 8, 63, 64, 100, 127]) {
        const tampered = tamper(block, 'salt', bit)
        await rejectsWith(() => decryptObject(tampered, 'sample passphrase'), WrongPassphraseError, WRONG)
      }
    },
  },
  {
    name: 'v1 decryptObject refuses malformed blocks with InvalidBlockError naming the field',
    fn: async () => {
      const block = await sample()
      const table: [unknown, string, RegExp][] = [
        [(({ salt: _, ...rest }) => rest)(block), '', /^Cannot read v1 block: missing salt$/],
        [{ ...block, iv: block.iv.slice(4) }, '/iv', /field iv is not in the expected base64 form or length/],
        [{ ...block, algo: 'AES-128-CBC' }, '/algo', /field algo/],
        [{ ...block, version: 2 }, '/version', /field version/],
        [{ ...block, extra: 1 }, '', /unexpected extra/],
        [{ ...block, ciphertext: 'AAAA' }, '/ciphertext', /field ciphertext/],
        ['not a block', '', /^Cannot read v1 block: /],
      ]
      for (const [bad, path, message] of table) {
        const error = await rejectsWith<InvalidBlockError>(() => decryptObject(bad, 'x'), InvalidBlockError, message)
        assert.equal(error.path, path)
      }
    },
  },
  {
    name: 'v1 key cache derives the key once for blocks that share salt and passphrase',
    fn: async () => {
      const salt = base64ToBytes(vectors.vectors[0]!.salt)
      const ivs = [1, 2, 3].map((n) => new Uint8Array(12).fill(n))
      const blocks: BlockV1[] = []
      for (const iv of ivs) blocks.push(await encryptObject({ n: iv[0] }, 'shared', { crypto: replayRandom([salt, iv]) }))
      const { crypto, counts } = countingCrypto()
      const shared = createKeyCache({ crypto })
      for (const [i, block] of blocks.entries()) assert.deepEqual(await decryptObject(block, 'shared', { crypto, cache: shared }), { n: i + 1 })
      assert.equal(counts.deriveKey, 1)
      await rejectsWith(() => decryptObject(blocks[0], 'other', { crypto, cache: shared }), WrongPassphraseError, WRONG)
      assert.equal(counts.deriveKey, 2)
    },
  },
]
