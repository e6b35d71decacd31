import assert from 'node:assert/strict'
import { avalonFields, bracketNumbers, parseBracketFields } from './bracket.ts'
import { fixtureText } from '../testdata/fixtures.ts'

Deno.test('parseBracketFields() splits keys with spaces and values with spaces', () => {
  assert.deepEqual(parseBracketFields('Temp[31] MGHS[1.5 2] Nonce Mask[25] SYSTEMSTATU[Work: In Work, Hash Board: 3 ] FACOPTS0[]'), {
    Temp: '31', MGHS: '1.5 2', 'Nonce Mask': '25', SYSTEMSTATU: 'Work: In Work, Hash Board: 3', FACOPTS0: '',
  })
})

Deno.test("parseBracketFields() unwraps the 'STATS':{...} form", () => {
  assert.deepEqual(parseBracketFields("'STATS':{Ver[Q-1] ITemp[26]}"), { Ver: 'Q-1', ITemp: '26' })
})

Deno.test('bracketNumbers() reads numbers, percentages and drops words', () => {
  assert.deepEqual(bracketNumbers(' 58  59 x 49%'), [58, 59, 49])
  assert.deepEqual(bracketNumbers(undefined), [])
})

Deno.test('avalonFields() reads the 1566 estats MM ID0 string: per-board hashrate and PSU', () => {
  const row = JSON.parse(fixtureText('pyasic__avalon1566_rpc_estats.json')).STATS[0]
  const f = avalonFields(row)
  assert.deepEqual(bracketNumbers(f.MGHS), [59459.52, 61407.83, 63139.66])
  assert.deepEqual(bracketNumbers(f.PS), [0, 1209, 1187, 297, 3526, 1188, 3731])
  assert.equal(bracketNumbers(f.PVT_T0).length, 160)
})
