import assert from 'node:assert/strict'
import type { PoolStatsReport } from '../../api/src/schemas/pool_stats.ts'
import { checkedReport, poolStatsBatches } from './report_check.ts'

const ID = '55555555-5555-4555-8555-000000000001'
const TAKEN = '2026-12-01T10:00:00.000Z'
const figures = { hashrate_ths: 27.978, hashrate_24h_ths: 28.357, workers_online: 2, workers_offline: 1, balance_btc: 0.015, last_share_at: '2026-12-01T09:59:00.000Z' }
const ok = (patch: object = {}): PoolStatsReport => ({ pool_key_id: ID, taken_at: TAKEN, stats: { ...figures, ...patch }, error: null })
const failed = (message: string): PoolStatsReport => ({ pool_key_id: ID, taken_at: TAKEN, stats: null, error: { kind: 'server', message } })

Deno.test('checkedReport() passes a report the API takes unchanged', () => {
  for (const report of [ok(), ok({ hashrate_ths: null, last_share_at: null }), failed('Cannot query Antpool: the pool answered HTTP 502')]) {
    assert.equal(checkedReport(report), report)
  }
})

Deno.test('checkedReport() turns a report the API would refuse into an invalid error for the same key and time, naming the fields only', async (t) => {
  const cases: [string, PoolStatsReport, RegExp][] = [
    ['a hashrate above the limit', ok({ hashrate_ths: 2e12 }), /figures the API does not accept \(stats\/hashrate_ths\)$/],
    ['a worker count that is no integer', ok({ workers_online: 1.5 }), /\(stats\/workers_online\)$/],
    ['a last share that is no date-time', ok({ last_share_at: '+033658-09-27T01:46:40.000Z' }), /\(stats\/last_share_at\)$/],
    ['two bad figures', ok({ balance_btc: -1, hashrate_24h_ths: Infinity }), /\(stats\/hashrate_24h_ths, stats\/balance_btc\)$/],
    ['a NUL in the message', failed('Cannot query: \u0000'), /the report of its failure has a message the API does not accept$/],
    ['an address in the message', failed('Cannot reach 10.1.2.3'), /a message the API does not accept$/],
    ['a message over 300 characters', failed('x'.repeat(301)), /a message the API does not accept$/],
  ]
  for (const [name, report, message] of cases) {
    await t.step(name, () => {
      const checked = checkedReport(report)!
      assert.deepEqual([checked.pool_key_id, checked.taken_at, checked.stats, checked.error?.kind], [ID, TAKEN, null, 'invalid'])
      assert.match(checked.error!.message, message)
      assert.match(checked.error!.message, /^Cannot report this key's statistics: /)
    })
  }
})

Deno.test('checkedReport() drops a report whose key id is not a uuid, which no error report could fix', () => {
  assert.equal(checkedReport({ ...ok(), pool_key_id: 'not-a-uuid' }), null)
})

Deno.test('poolStatsBatches() splits at the API limit of 500 and sends a key listed twice once', () => {
  const id = (n: number) => `55555555-5555-4555-8555-${String(n).padStart(12, '0')}`
  const reports = Array.from({ length: 1001 }, (_, n) => ({ ...ok(), pool_key_id: id(n) }))
  const batches = poolStatsBatches([...reports, { ...ok(), pool_key_id: id(7) }])
  assert.deepEqual(batches.map((b) => b.reports.length), [500, 500, 1])
  assert.equal(new Set(batches.map((b) => b.batch_id)).size, 3)
  assert.deepEqual(poolStatsBatches([]), [])
})
