/** Cases for v2 keyrings: vectors, unlocking, re-wrapping and the KDF floor. */
import assert from 'node:assert/strict'
import { base64ToBytes, base64UrlToBytes } from '../base64.ts'
import {
  createKeyCache, createKeyring, decryptBlock, encryptBlock, InvalidBlockError, rewrapKeyring, unlockKeyring,
  WeakKdfError, WrongPassphraseError,
} from '../mod.ts'
import vectors from '../vectors/v2.json' with { type: 'json' }
import { rejectsWith, type TestCase } from './case.ts'
import { countingCrypto, replayRandom } from './doubles.ts'

const SLOW = 60_000 // PBKDF2 at 600 000 iterations takes ~0.3 s per call here
const WRONG = 'Cannot unlock keyring: wrong passphrase or damaged data'
const WEAK = 'Cannot unlock keyring: its key derivation (PBKDF2 SHA-256, 100000 iterations) is weaker than required (PBKDF2 SHA-256, at least 600000 iterations)'
const [ascii] = vectors.keyrings
const [block] = vectors.blocks
const weakened = <W extends { kdf: object }>(w: W) => ({ ...w, kdf: { ...w.kdf, iterations: 100_000 } })
const context = { tenantId: block!.tenant_id, kind: 'credentials', subjectId: block!.subject_id } as const

const vectorCases: TestCase[] = vectors.keyrings.map((v) => ({
  name: `v2 keyring vector "${v.name}": createKeyring with its key, kid, salt and iv gives the exact keyring`,
  timeout: SLOW,
  fn: async () => {
    const random = [v.data_key, v.wrapped.kid, v.salt, v.iv].map((b, i) => (i === 1 ? base64UrlToBytes(b) : base64ToBytes(b)))
    const { wrapped, key } = await createKeyring(v.passphrase, v.tenant_id, { crypto: replayRandom(random) })
    assert.deepEqual(wrapped, v.wrapped)
    assert.equal(key.kid, v.wrapped.kid)
    assert.equal(key.tenantId, v.tenant_id)
  },
}))

export const keyringCases: TestCase[] = [
  ...vectorCases,
  {
    name: 'unlockKeyring opens the vector keyring into a non-extractable key that reads its block vector',
    timeout: SLOW,
    fn: async () => {
      const key = await unlockKeyring(ascii!.wrapped, ascii!.passphrase, ascii!.tenant_id)
      assert.equal(key.cryptoKey.extractable, false)
      assert.equal(key.cryptoKey.algorithm.name, 'AES-GCM')
      assert.deepEqual([key.kid, key.tenantId], [ascii!.wrapped.kid, ascii!.tenant_id])
      await assert.rejects(crypto.subtle.exportKey('raw', key.cryptoKey))
      assert.deepEqual(await decryptBlock(key, block!.block, context), block!.plaintext)
    },
  },
  {
    name: 'unlockKeyring refuses a wrong passphrase and another tenant with WrongPassphraseError',
    timeout: SLOW,
    fn: async () => {
      await rejectsWith(() => unlockKeyring(ascii!.wrapped, 'wrong', ascii!.tenant_id), WrongPassphraseError, WRONG)
      await rejectsWith(() => unlockKeyring(ascii!.wrapped, ascii!.passphrase, 'tenant-0002'), WrongPassphraseError, WRONG)
    },
  },
  {
    name: 'rewrapKeyring keeps the kid and data key, changes the salt, and retires the old passphrase',
    timeout: SLOW,
    fn: async () => {
      const { wrapped, key } = await createKeyring('old passphrase', 't1')
      const saved = await encryptBlock(key, { password: 'p' }, { tenantId: 't1', kind: 'credentials', subjectId: 'm1', counter: 1 })
      const rewrapped = await rewrapKeyring(wrapped, 'old passphrase', 'new passphrase', 't1')
      assert.equal(rewrapped.kid, wrapped.kid)
      assert.notEqual(rewrapped.kdf.salt, wrapped.kdf.salt)
      assert.equal(rewrapped.kdf.iterations, 600_000)
      const reopened = await unlockKeyring(rewrapped, 'new passphrase', 't1')
      assert.deepEqual(await decryptBlock(reopened, saved, { tenantId: 't1', kind: 'credentials', subjectId: 'm1' }), { password: 'p' })
      await rejectsWith(() => unlockKeyring(rewrapped, 'old passphrase', 't1'), WrongPassphraseError, WRONG)
      await rejectsWith(() => rewrapKeyring(wrapped, 'not it', 'x', 't1'), WrongPassphraseError, 'Cannot change passphrase: wrong passphrase or damaged data')
    },
  },
  {
    name: 'keyrings below PBKDF2 600000 iterations are refused with WeakKdfError',
    fn: async () => {
      const error = await rejectsWith<WeakKdfError>(() => unlockKeyring(weakened(ascii!.wrapped), ascii!.passphrase, ascii!.tenant_id), WeakKdfError, WEAK)
      assert.equal(error.code, 'weak_kdf')
      await rejectsWith(() => rewrapKeyring(weakened(ascii!.wrapped), ascii!.passphrase, 'n', ascii!.tenant_id), WeakKdfError, WEAK)
      await rejectsWith(() => createKeyring('p', 't', { iterations: 599_999 }), WeakKdfError, /599999 iterations\) is weaker/)
    },
  },
  {
    name: 'unlockKeyring refuses a malformed keyring with InvalidBlockError naming the field',
    fn: async () => {
      const bad = { ...ascii!.wrapped, kdf: { ...ascii!.wrapped.kdf, hash: 'SHA-1' } }
      const error = await rejectsWith<InvalidBlockError>(() => unlockKeyring(bad, 'p', 't'), InvalidBlockError, /^Cannot read keyring: field kdf\/hash/)
      assert.equal(error.path, '/kdf/hash')
      await rejectsWith(() => unlockKeyring({ kid: 'short' }, 'p', 't'), InvalidBlockError, /^Cannot read keyring: missing kdf, wrapped_key$/)
    },
  },
  {
    name: 'unlockKeyring with a key cache derives the KEK once and remembers the key by kid',
    timeout: SLOW,
    fn: async () => {
      const { crypto, counts } = countingCrypto()
      const cache = createKeyCache({ crypto })
      const [first, second] = await Promise.all([1, 2].map(() => unlockKeyring(ascii!.wrapped, ascii!.passphrase, ascii!.tenant_id, { crypto, cache })))
      assert.equal(first, second)
      assert.equal(counts.deriveKey, 1)
      assert.equal(cache.dataKey(ascii!.tenant_id, ascii!.wrapped.kid), first)
      // The cached key must not let a wrong passphrase through.
      await rejectsWith(() => unlockKeyring(ascii!.wrapped, 'wrong', ascii!.tenant_id, { crypto, cache }), WrongPassphraseError, WRONG)
      assert.equal(counts.deriveKey, 2)
    },
  },
]
