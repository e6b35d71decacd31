/**
 * `npm run bench [-- <prefix>]`: runs every suite in `tests/bench/*.bench.ts` whose
 * name matches the prefix, prints one BENCH line per figure and writes them all to
 * bench-results.json. Every load is bounded in time and goes to loopback only.
 */
import { readdir, writeFile } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { benchLine, type BenchResult, type BenchSuite } from './report.ts'

const here = fileURLToPath(new URL('.', import.meta.url))
const prefix = process.argv[2] ?? ''

function matches(suite: BenchSuite): boolean {
  return suite.name.startsWith(prefix) || prefix.startsWith(suite.name)
}

const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts')).sort()
const results: BenchResult[] = []
for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: BenchSuite[] }
  for (const suite of mod.default.filter(matches)) {
    console.error(`# ${suite.name} (${file})`)
    for (const r of await suite.run()) {
      if (!r.name.startsWith(prefix)) continue
      results.push(r)
      console.log(benchLine(r))
    }
  }
}
await writeFile('bench-results.json', JSON.stringify(results, null, 2) + '\n')
console.error(`# ${results.length} figures written to bench-results.json`)
if (results.length === 0) process.exitCode = prefix ? 1 : 0
