import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startTestApi, type TestApi } from '../../../tests/support/api.ts'
import { pgArray } from './pg_array.ts'

let api: TestApi
beforeAll(async () => {
  api = await startTestApi()
})
afterAll(() => api.close())

describe('pgArray()', () => {

  test('PostgreSQL reads back every value as given, quoting only what needs it', async () => {
    const knex = api.app.knex
    const texts = ['plain', '', 'NULL', 'null', 'a,b', 'say "hi"', 'back\\slash', 'two words', '{braces}', 'tab\there', 'ünïcode', '2026-12-01 10:00:00+01']
    expect(pgArray(['a', 'b c', null])).toBe('{a,"b c",NULL}')
    const { rows: [text] } = await knex.raw('SELECT ?::text[] AS v', [pgArray([...texts, null])])
    expect(text.v).toEqual([...texts, null])
    const numbers = [0, -1.5, 1e21, 123456789012, 5e-324, null]
    const { rows: [num] } = await knex.raw('SELECT ?::float8[] AS v', [pgArray(numbers)])
    expect(num.v).toEqual(numbers)
    const { rows: [flags] } = await knex.raw('SELECT ?::boolean[] AS v, ?::uuid[] AS ids', [pgArray([true, false, undefined]), pgArray(['8f14e45f-ceea-467f-a0e6-1c0c1a8f0c3a'])])
    expect([flags.v, flags.ids]).toEqual([[true, false, null], ['8f14e45f-ceea-467f-a0e6-1c0c1a8f0c3a']])
  })

  test('a number PostgreSQL cannot take is refused, not sent', () => {
    expect(() => pgArray([1, Number.NaN])).toThrow(/not a finite number/)
    expect(() => pgArray([Number.POSITIVE_INFINITY])).toThrow(TypeError)
  })
})
