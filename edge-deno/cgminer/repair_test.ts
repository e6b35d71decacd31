import assert from 'node:assert/strict'
import fc from 'fast-check'
import { parseMinerJson, repairJson } from './repair.ts'
import { fixtureText } from '../testdata/fixtures.ts'

Deno.test("parseMinerJson() leaves valid JSON alone and reports no repair", () => {
  const parsed = parseMinerJson(fixtureText('asic-rs__antminer_v2020_summary.json'))
  assert.equal(parsed.repaired, false)
  assert.equal((parsed.value as { id: number }).id, 1)
})

Deno.test('parseMinerJson() stops at the trailing NUL and ignores bytes after it', () => {
  const parsed = parseMinerJson('{"id":1}\0{"id":2}\0')
  assert.deepEqual(parsed.value, { id: 1 })
})

Deno.test("repairJson() repairs Antminer's '}{' between stats items", () => {
  const clean = JSON.parse(fixtureText('asic-rs__antminer_v2020_stats.json'))
  const dirty = JSON.stringify(clean).replaceAll('},{', '}{') + '\0'
  assert.match(dirty, /\}\{/)
  const parsed = parseMinerJson(dirty)
  assert.equal(parsed.repaired, true)
  assert.deepEqual(parsed.value, clean)
})

const cases: { name: string; wire: string; expected: unknown; truncated?: boolean }[] = [
  { name: "Antminer's '[,{'", wire: '{"STATS":[,{"a":1},{"b":2}]}', expected: { STATS: [{ a: 1 }, { b: 2 }] } },
  { name: "Whatsminer's ',}'", wire: '{"STATUS":[{"STATUS":"S","Code":11,}],"id":1}', expected: { STATUS: [{ STATUS: 'S', Code: 11 }], id: 1 } },
  { name: "a ',]' before a closing bracket", wire: '{"POOLS":[{"URL":"x"},],"id":1}', expected: { POOLS: [{ URL: 'x' }], id: 1 } },
  { name: 'raw newlines and tabs inside strings', wire: '{"PCB SN":"\nBHM5\tX","Msg":"a\r\nb"}', expected: { 'PCB SN': '\nBHM5\tX', Msg: 'a\r\nb' } },
  { name: "Avalon's bare inf and nan", wire: '{"Device Hardware%":nan,"Utility":inf,"x":-inf,"ok":true,"n":null}', expected: { 'Device Hardware%': null, Utility: null, x: null, ok: true, n: null } },
  { name: 'a list cut off mid-entry', wire: '{"STATUS":"S","Msg":{"error_code":[{"218":"2024-06-15 10:30:00"},{"110":"2024-06', expected: { STATUS: 'S', Msg: { error_code: [{ '218': '2024-06-15 10:30:00' }] } }, truncated: true },
  { name: 'a reply cut off after a value', wire: '{"a":1,"b":[1,2', expected: { a: 1, b: [1] }, truncated: true },
  { name: "brackets and '}{' inside strings untouched", wire: '{"MM ID0":"Ver[1] x}{y [,{ ,}","v":1,}', expected: { 'MM ID0': 'Ver[1] x}{y [,{ ,}', v: 1 } },
  { name: "numbers in E-notation (S21's 'Total MH') beside a quirk", wire: '{"SUMMARY":[{"Total MH":1.2345e+10,"x":-2E-3}{"y":1}],}', expected: { SUMMARY: [{ 'Total MH': 1.2345e10, x: -2e-3 }, { y: 1 }] } },
  { name: 'escaped quotes inside strings', wire: '{"a":"say \\"hi\\" }{","b":2,}', expected: { a: 'say "hi" }{', b: 2 } },
]

for (const { name, wire, expected, truncated = false } of cases) {
  Deno.test(`parseMinerJson() repairs ${name}`, () => {
    const parsed = parseMinerJson(wire)
    assert.deepEqual(parsed.value, expected)
    assert.equal(parsed.repaired, true)
    assert.equal(parsed.truncated, truncated)
  })
}

const failures = [
  { name: 'text that is not JSON', wire: '\x8fHTTP/1.0 400 <html>garbage' },
  { name: 'a reply cut off before any complete member', wire: '{"STATUS":[{"STA' },
  { name: 'an HTML page', wire: '<html><body>401</body></html>' },
]

for (const { name, wire } of failures) {
  Deno.test(`parseMinerJson() rejects ${name}`, () => {
    assert.throws(() => parseMinerJson(wire), { name: 'SyntaxError', message: /^Cannot parse miner reply: / })
  })
}

Deno.test('repairJson() leaves clean fixture text parseable and equal', () => {
  const text = fixtureText('pyasic__avalon1566_rpc_estats.json')
  assert.deepEqual(JSON.parse(repairJson(text).text), JSON.parse(text))
})

// Antminer's '}{', Whatsminer's ',}' and raw control characters in strings, put on
// any JSON: the repair must give back exactly the value that was dirtied.
Deno.test('repairJson() and parseMinerJson() restore any JSON value carrying the vendor quirks', () => {
  const text = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '"', '\\', '}', '{', ',', '[', ']', '\n', '\t', '\x01', 'é') })
  // Keys carry no backslash: Deno 2.9.5's V8 (15.0) misreads an escaped key after an object of the
  // same shape whose key held a backslash (JSON.parse('{"a":0,"\\\\":0}') then '{"a":0,"\\n":0}' gives
  // the key "\\"), whatever the repair did. Miner replies have no such keys; values keep every character.
  const key = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '"', '}', '{', ',', '[', ']', '\n', '\t', '\x01', 'é') })
  // n + 0 turns -0 into 0: JSON has no negative zero to give back.
  const json = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, text, fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => n + 0), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 4 }),
    object: fc.dictionary(key, tie('value'), { maxKeys: 4, noNullPrototype: true }),
  })).object
  // JSON text of a string with its newlines and tabs raw (an escaped backslash before an n stays as it is).
  const rawControls = (v: string) => JSON.stringify(v).replace(/\\(["\\/bfnrt]|u[0-9a-f]{4})/g, (m, e: string) => (e === 'n' ? '\n' : e === 't' ? '\t' : m))
  const isObject = (x: unknown) => x !== null && typeof x === 'object' && !Array.isArray(x)
  fc.assert(fc.property(json, fc.boolean(), fc.boolean(), (value, braces, commas) => {
    let wire = ''
    // Serialise by hand so quirks land only between values, never inside strings.
    const write = (v: unknown): void => {
      if (Array.isArray(v)) {
        wire += '['
        v.forEach((x, i) => {
          // Antminer drops the comma between two objects: `}{`.
          if (i > 0) wire += braces && isObject(x) && isObject(v[i - 1]) ? '' : ','
          write(x)
        })
        wire += commas && v.length ? ',]' : ']'
      } else if (v !== null && typeof v === 'object') {
        const entries = Object.entries(v)
        wire += '{'
        entries.forEach(([k, x], i) => {
          if (i > 0) wire += ','
          // Raw newlines and tabs inside strings, as Whatsminer sends them.
          wire += rawControls(k) + ':'
          write(x)
        })
        wire += commas && entries.length ? ',}' : '}'
      } else if (typeof v === 'string') {
        wire += rawControls(v)
      } else {
        wire += JSON.stringify(v)
      }
    }
    write(value)
    const repaired = repairJson(wire + '\0')
    assert.equal(repaired.truncated, false)
    assert.deepEqual(JSON.parse(repaired.text), value)
    // parseMinerJson splices the markers when it can: it must give back the same value.
    assert.deepEqual(parseMinerJson(wire + '\0').value, value)
  }), { numRuns: 500 })
})
