/**
 * e2ee.decrypt.*: v1 vs v2 decryption rates in Node (in process) and Deno (a child
 * running the same measurement, tests/bench/e2ee_deno.ts). v2's baseline is v1 in the
 * same run and runtime (goal: v2 >= 300x v1); the Deno 10 000-block total (goal
 * <= 500 ms) is compared with Node's. The KDF strength is never lowered for speed.
 */
import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { decryptResults, measureDecrypt } from './e2ee_deno.ts'
import { parseBenchLines, result, type BenchResult, type BenchSuite } from './report.ts'

const root = resolve(import.meta.dirname, '../..')

async function denoResults(): Promise<BenchResult[]> {
  const deno = resolve(root, 'node_modules/.bin/deno')
  const { stdout } = await promisify(execFile)(deno, ['run', '-A', 'tests/bench/e2ee_deno.ts'], { cwd: root, timeout: 300_000 })
  const results = parseBenchLines(stdout)
  if (results.length !== 4) throw new Error(`Cannot bench e2ee under Deno: expected 4 figures, got ${results.length}`)
  return results
}

const suite: BenchSuite = {
  name: 'e2ee',
  async run() {
    const node = decryptResults('node', await measureDecrypt())
    const deno = await denoResults()
    const nodeTotal = node.find((r) => r.name === 'e2ee.decrypt.v2.node.total_ms')!
    // Re-base Deno's total on Node's so the log shows how the two runtimes compare.
    const denoWithBaseline = deno.map((r) =>
      r.name === 'e2ee.decrypt.v2.deno.total_ms' ? result(r.name, r.value, r.unit, nodeTotal.value, `${r.note}; baseline: Node's total`) : r)
    return [...node, ...denoWithBaseline]
  },
}

export default [suite]
