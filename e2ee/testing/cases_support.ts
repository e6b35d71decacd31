/** Cases for the anti-rollback guard, the key cache, base64 and the error messages. */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { base64ToBytes, base64UrlToBytes, bytesToBase64, bytesToBase64Url } from '../base64.ts'
import {
  ContextMismatchError, createCryptoService, createKeyCache, createRollbackGuard, decryptBlock, E2eeError, encryptBlock,
  InvalidBlockError, RollbackError, rollbackGuardFromJSON, UndecryptableBlockError, WeakKdfError, WrongPassphraseError,
  type RollbackSnapshot,
} from '../mod.ts'
import { rejectsWith, type TestCase } from './case.ts'

const scope = { tenantId: 't', kind: 'credentials', subjectId: 'm1' } as const
const OLDER = 'Cannot accept block: older than the copy you already have (counter 4 < 5)'

export const supportCases: TestCase[] = [
  {
    name: 'rollback guard accepts a newer or equal counter, refuses an older one, per scope',
    fn: () => {
      const saved: RollbackSnapshot[] = []
      const guard = createRollbackGuard(undefined, { onChange: (s) => saved.push(s) })
      guard.accept(scope, 5)
      guard.accept(scope, 5)
      assert.throws(() => guard.accept(scope, 4), (e: unknown) => e instanceof RollbackError && e.message === OLDER)
      guard.accept({ ...scope, subjectId: 'm2' }, 1)
      guard.accept(scope, 6)
      assert.deepEqual([guard.highest(scope), guard.highest({ ...scope, kind: 'pool_api_key' })], [6, 0])
      assert.equal(saved.length, 3)
    },
  },
  {
    name: 'rollback guard survives a JSON round trip and refuses a corrupt snapshot',
    fn: () => {
      const guard = createRollbackGuard()
      guard.accept(scope, 5)
      const restored = rollbackGuardFromJSON(JSON.stringify(guard))
      assert.throws(() => restored.check(scope, 4), RollbackError)
      assert.equal(restored.highest(scope), 5)
      for (const bad of ['{}', '{"version":1,"highest":{"x":0}}', 'null', { version: 2, highest: {} }]) {
        assert.throws(() => rollbackGuardFromJSON(bad), { name: 'TypeError', message: 'Cannot restore anti-rollback state: it is not a saved rollback guard' })
      }
    },
  },
  {
    name: 'decryptBlock with a guard refuses an older block and only raises the mark on authentic blocks',
    fn: async () => {
      const key = await createCryptoService().importDataKey(new Uint8Array(32).fill(9), 'CCCCCCCCCCCCCCCCCCCCCC', 't')
      const guard = createRollbackGuard()
      const [b3, b2, b9] = await Promise.all([3, 2, 9].map((counter) => encryptBlock(key, { counter }, { ...scope, counter })))
      assert.deepEqual(await decryptBlock(key, b3, scope, { guard }), { counter: 3 })
      await rejectsWith(() => decryptBlock(key, b2, scope, { guard }), RollbackError, /\(counter 2 < 3\)$/)
      await rejectsWith(() => decryptBlock(key, { ...b3, counter: 50 }, scope, { guard }), UndecryptableBlockError, /^Cannot decrypt/)
      assert.equal(guard.highest(scope), 3)
      await decryptBlock(key, b9, scope, { guard })
      assert.equal(guard.highest(scope), 9)
    },
  },
  {
    name: 'key cache evicts the least recently used key, shares concurrent derivations and forgets failures',
    fn: async () => {
      const cache = createKeyCache({ maxEntries: 2 })
      let derivations = 0
      const get = (name: string) => cache.getOrDerive('t', [new TextEncoder().encode(name) as Uint8Array<ArrayBuffer>], async () => `${name}${++derivations}`)
      assert.deepEqual(await Promise.all([get('a'), get('a')]), ['a1', 'a1'])
      await get('b')
      await get('a') // a is now the most recent, so c evicts b
      await get('c')
      assert.deepEqual([await get('a'), await get('b'), cache.size], ['a1', 'b4', 2])
      await assert.rejects(cache.getOrDerive('t', [], () => Promise.reject(new Error('boom'))), /boom/)
      assert.equal(await cache.getOrDerive('t', [], async () => 'ok'), 'ok')
      cache.clear()
      assert.equal(cache.size, 0)
    },
  },
  {
    name: 'base64 helpers round-trip any bytes, match btoa, and keep kids URL-safe',
    fn: () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const standard = bytesToBase64(bytes)
        assert.equal(standard, btoa(String.fromCharCode(...bytes)))
        assert.deepEqual(base64ToBytes(standard), bytes)
        const url = bytesToBase64Url(bytes)
        assert.match(url, /^[A-Za-z0-9_-]*$/)
        assert.deepEqual(base64UrlToBytes(url), bytes)
      }), { numRuns: 500 })
      const large = new Uint8Array(200_000).fill(0xfb)
      assert.deepEqual(base64ToBytes(bytesToBase64(large)), large)
    },
  },
  {
    name: 'every e2ee error says "Cannot <action>: <reason>" without a final period and carries a code',
    fn: () => {
      const errors: E2eeError[] = [
        new WrongPassphraseError(), new UndecryptableBlockError(), new ContextMismatchError('keyring', 'a', 'b'),
        new RollbackError(2, 1), new InvalidBlockError('v2 block', '/iv', 'field iv is bad'), new WeakKdfError('x', 'y'),
      ]
      for (const error of errors) {
        assert.match(error.message, /^Cannot [a-z][a-z0-9 -]*: .*[^.]$/)
        assert.equal(error.name, error.constructor.name)
        assert.ok(error instanceof Error && error.code.length > 0)
      }
      assert.equal(new Set(errors.map((e) => e.code)).size, errors.length)
    },
  },
]
