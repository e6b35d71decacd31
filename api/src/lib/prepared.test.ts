import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startTestApi, type TestApi } from '../../../tests/support/api.ts'
import { preparedRows } from './prepared.ts'

let api: TestApi
beforeAll(async () => {
  api = await startTestApi()
})
afterAll(() => api.close())

describe('preparedRows()', () => {
  test('one SQL text run again and again with other values returns each call its own rows', async () => {
    const sql = 'SELECT ?::int AS n, ?::text AS s, array_length(?::int[], 1) AS len'
    for (let n = 0; n < 8; n++) {
      expect(await preparedRows(api.app.knex, sql, [n, `v${n}`, Array.from({ length: n + 1 }, (_, i) => i)])).toEqual([{ n, s: `v${n}`, len: n + 1 }])
    }
  })

  test('an undefined binding is refused as knex refuses it, even once the text is known', async () => {
    const sql = 'SELECT ?::int AS n'
    await preparedRows(api.app.knex, sql, [1])
    await expect(preparedRows(api.app.knex, sql, [undefined as unknown as number])).rejects.toThrow(/Undefined binding/)
  })

  test('a raw binding is written into the statement each time, never reused from another call', async () => {
    const sql = 'SELECT ? AS v, ?::int AS n'
    const knex = api.app.knex
    expect(await preparedRows(knex, sql, [knex.raw("'first'"), 1])).toEqual([{ v: 'first', n: 1 }])
    expect(await preparedRows(knex, sql, [knex.raw("'second'"), 2])).toEqual([{ v: 'second', n: 2 }])
    expect(await preparedRows(knex, sql, ['plain', 3])).toEqual([{ v: 'plain', n: 3 }])
  })

  test('named statements run on connections that force generic plans; knex keeps the default for its own', async () => {
    expect(await preparedRows(api.app.knex, "SELECT current_setting('plan_cache_mode') AS mode", [])).toEqual([{ mode: 'force_generic_plan' }])
    expect((await api.app.knex.raw("SELECT current_setting('plan_cache_mode') AS mode")).rows).toEqual([{ mode: 'auto' }])
  })
})
