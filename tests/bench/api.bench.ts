/**
 * api.credentials.post / api.credentials.get: requests/s and p99 latency of the
 * real secret routes (auth, access rules, validation, counter checks, audit chain)
 * against a bare Fastify route doing one INSERT / SELECT on a pool of the same size,
 * each loaded for 10 s by autocannon over loopback (after a 2 s warm-up each), in alternating
 * rounds. Goal: ≥ 60% of the baseline.
 */
import autocannon from 'autocannon'
import knexFactory from 'knex'
import { randomBytes } from 'node:crypto'
import { cpuMs } from './cpu.ts'
import { result, type BenchResult, type BenchSuite } from './report.ts'
import { benchDatabase, startServer } from './servers.ts'

const DURATION_S = Number(process.env.BENCH_API_SECONDS ?? 10)
const CONNECTIONS = 10
const ROUNDS = 5
const MINERS = 200

function v1Block(): string {
  const b = (n: number) => randomBytes(n).toString('base64')
  return JSON.stringify({ encrypted_credentials: { ciphertext: b(96), iv: b(12), salt: b(16), algo: 'AES-256-GCM', version: 1 } })
}

interface Loaded { rps: number; p99: number; errors: number; cpuUsPerRequest: number }

/** The middle round by throughput (its own p99), errors summed over all rounds. */
function median(runs: Loaded[]): Loaded {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps)
  return { ...sorted[Math.floor(sorted.length / 2)]!, errors: runs.reduce((n, r) => n + r.errors, 0) }
}

async function load({ port, child }: { port: number; child: { pid?: number } }, method: 'GET' | 'POST', paths: string[], token: string): Promise<Loaded> {
  const bodies = Array.from({ length: 64 }, v1Block)
  let i = 0
  const cpuBefore = cpuMs(child.pid!) * 1000
  const run = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: DURATION_S / ROUNDS,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    requests: [{
      method,
      setupRequest: (req) => {
        i++
        return { ...req, path: paths[i % paths.length]!, ...(method === 'POST' ? { body: bodies[i % bodies.length]! } : {}) }
      },
    }],
  })
  return { rps: run.requests.average, p99: run.latency.p99, errors: run.non2xx + run.errors, cpuUsPerRequest: (cpuMs(child.pid!) * 1000 - cpuBefore) / Math.max(1, run.requests.total) }
}

async function seed(port: number): Promise<{ token: string; paths: string[] }> {
  const base = `http://127.0.0.1:${port}`
  const json = { 'content-type': 'application/json' }
  type Created = { id: string; token: string }
  const reg = await (await fetch(`${base}/api/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'bench@example.com', password: 'bench account pw', tenantName: 'Bench' }) })).json() as Created
  const auth = { ...json, authorization: `Bearer ${reg.token}` }
  const site = await (await fetch(`${base}/api/sites`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Bench site' }) })).json() as Created
  const paths: string[] = []
  for (let n = 0; n < MINERS; n++) {
    const miner = await (await fetch(`${base}/api/sites/${site.id}/miners`, { method: 'POST', headers: auth, body: JSON.stringify({ name: `m${n}`, ip_address: `10.0.${n >> 8}.${n & 255}` }) })).json() as Created
    const path = `/api/miners/${miner.id}/credentials`
    await fetch(`${base}${path}`, { method: 'POST', headers: auth, body: v1Block() })
    paths.push(path)
  }
  return { token: reg.token, paths }
}

const suite: BenchSuite = {
  name: 'api.credentials',
  async run(): Promise<BenchResult[]> {
    const database = await benchDatabase('hashinsight_bench')
    const url = database.url
    const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } })
    await db.raw('CREATE TABLE bench_baseline (id bigserial PRIMARY KEY, miner_id uuid NOT NULL, block jsonb NOT NULL)')
    await db.destroy()
    const jwtSecret = randomBytes(32).toString('hex')
    try {
      const app = await startServer('app', url, jwtSecret)
      const baseline = await startServer('baseline', url, jwtSecret)
      try {
        const { token, paths } = await seed(app.port)
        // Rounds alternate app and baseline, so what drifts on the machine during the run
        // (autovacuum, checkpoints, other load) falls on both sides alike; medians are kept.
        const compare = async (method: 'GET' | 'POST') => {
          // One unmeasured round per side first: the API's first seconds under load are
          // spent compiling its code (its CPU per request fell from about 930 µs in the
          // first round to 430 in the fifth), which a server that has been up a while is past.
          await load(app, method, paths, token)
          await load(baseline, method, paths, token)
          const runs: { app: Loaded; base: Loaded }[] = []
          for (let round = 0; round < ROUNDS; round++) {
            runs.push({ app: await load(app, method, paths, token), base: await load(baseline, method, paths, token) })
          }
          return { app: median(runs.map((r) => r.app)), base: median(runs.map((r) => r.base)) }
        }
        const post = await compare('POST')
        const get = await compare('GET')
        // CPU of each server process per request: steadier than throughput when other load shares the cores.
        const cpu = (r: { app: Loaded; base: Loaded }) => `API process CPU ${Math.round(r.app.cpuUsPerRequest)} µs per request vs ${Math.round(r.base.cpuUsPerRequest)} µs for the baseline`
        const note = (r: { app: Loaded; base: Loaded }) => `goal >= 0.6 of baseline; ${CONNECTIONS} connections, one warm-up and ${ROUNDS} alternating rounds of ${DURATION_S / ROUNDS} s per side, medians; ${r.app.errors} non-2xx; ${cpu(r)}`
        return [
          result('api.credentials.post', post.app.rps, 'req/s', post.base.rps, note(post)),
          result('api.credentials.post.p99', post.app.p99, 'ms', post.base.p99, 'p99 latency (median of the rounds); baseline is the bare INSERT route'),
          result('api.credentials.get', get.app.rps, 'req/s', get.base.rps, note(get)),
          result('api.credentials.get.p99', get.app.p99, 'ms', get.base.p99, 'p99 latency (median of the rounds); baseline is the bare SELECT route'),
        ]
      } finally {
        await app.stop()
        await baseline.stop()
      }
    } finally {
      await database.close()
    }
  },
}

export default [suite]
