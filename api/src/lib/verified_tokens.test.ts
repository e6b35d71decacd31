import { describe, expect, test } from 'vitest'
import { VerifiedTokens } from './verified_tokens.ts'

const claims = (exp?: number) => ({ sub: 'user', tid: 'tenant', ...(exp === undefined ? {} : { exp }) })

describe('VerifiedTokens', () => {
  test('answers a token that verified before, by its exact text only', () => {
    const tokens = new VerifiedTokens()
    tokens.set('a.b.c', claims(2_000))
    expect(tokens.get('a.b.c', 1_000_000)).toEqual(claims(2_000))
    expect(tokens.get('a.b.C', 1_000_000)).toBeUndefined()
  })

  test('forgets a token once it has expired, so it is verified (and refused) again', () => {
    const tokens = new VerifiedTokens()
    tokens.set('t', claims(1_000))
    expect(tokens.get('t', 999_999)).toBeDefined()
    expect(tokens.get('t', 1_000_000)).toBeUndefined()
    expect(tokens.size).toBe(0)
  })

  test('keeps at most max tokens, dropping the oldest', () => {
    const tokens = new VerifiedTokens(2)
    for (const t of ['one', 'two', 'three']) tokens.set(t, claims())
    expect([tokens.get('one'), tokens.get('two'), tokens.get('three')].map(Boolean)).toEqual([false, true, true])
  })
})
