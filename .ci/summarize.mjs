// Adds up the test results of a CI run (vitest JSON, Deno JUnit XML) into one
// closing line: `total: N passed, N failed`. Exits non-zero if any failed or none ran.
import { existsSync, readdirSync, readFileSync } from 'node:fs'

const dir = 'test-results'
let passed = 0
let failed = 0
for (const file of existsSync(dir) ? readdirSync(dir).sort() : []) {
  const text = readFileSync(`${dir}/${file}`, 'utf8')
  let p = 0
  let f = 0
  if (file.endsWith('.json')) {
    const r = JSON.parse(text)
    p = r.numPassedTests
    f = r.numFailedTests + (r.numFailedTestSuites ?? 0)
  } else if (file.endsWith('.xml')) {
    const m = /<testsuites[^>]*\btests="(\d+)"[^>]*\bfailures="(\d+)"(?:[^>]*\berrors="(\d+)")?/.exec(text)
    if (!m) continue
    f = Number(m[2]) + Number(m[3] ?? 0)
    p = Number(m[1]) - f
  } else continue
  console.log(`${file}: ${p} passed, ${f} failed`)
  passed += p
  failed += f
}
console.log(`total: ${passed} passed, ${failed} failed`)
if (failed > 0 || passed === 0) process.exitCode = 1
