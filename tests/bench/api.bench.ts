/**
 * api.credentials.post / api.credentials.get: requests/s and p99 latency of the
 * real secret routes (auth, access rules, validation, counter checks, audit chain)
 * against a bare Fastify route doing one INSERT / SELECT on a pool of the same size,
 * each loaded for 10 s by autocannon over loopback. Goal: ≥ 60% of the baseline.
 */
import autocannon from 'autocannon'
import knexFactory from 'knex'
import { randomBytes } from 'node:crypto'
import { result, type BenchResult, type BenchSuite } from './report.ts'
import { benchDatabase, startServer } from './servers.ts'

const DURATION_S = Number(process.env.BENCH_API_SECONDS ?? 10)
const CONNECTIONS = 10
const MINERS = 200

function v1Block(): string {
  const b = (n: number) => randomBytes(n).toString('base64')
  return JSON.stringify({ encrypted_credentials: { ciphertext: b(96), iv: b(12), salt: b(16), algo: 'AES-256-GCM', version: 1 } })
}

async function load(port: number, method: 'GET' | 'POST', paths: string[], token: string): Promise<{ rps: number; p99: number; errors: number }> {
  const bodies = Array.from({ length: 64 }, v1Block)
  let i = 0
  const run = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: DURATION_S,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    requests: [{
      method,
      setupRequest: (req) => {
        i++
        return { ...req, path: paths[i % paths.length]!, ...(method === 'POST' ? { body: bodies[i % bodies.length]! } : {}) }
      },
    }],
  })
  return { rps: run.requests.average, p99: run.latency.p99, errors: run.non2xx + run.errors }
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
      const { token, paths } = await seed(app.port)
      const appPost = await load(app.port, 'POST', paths, token)
      const appGet = await load(app.port, 'GET', paths, token)
      await app.stop()
      const baseline = await startServer('baseline', url, jwtSecret)
      const basePost = await load(baseline.port, 'POST', paths, token)
      const baseGet = await load(baseline.port, 'GET', paths, token)
      await baseline.stop()
      const note = (r: { errors: number }) => `goal >= 0.6 of baseline; ${CONNECTIONS} connections, ${DURATION_S} s, ${r.errors} non-2xx`
      return [
        result('api.credentials.post', appPost.rps, 'req/s', basePost.rps, note(appPost)),
        result('api.credentials.post.p99', appPost.p99, 'ms', basePost.p99, 'p99 latency; baseline is the bare INSERT route'),
        result('api.credentials.get', appGet.rps, 'req/s', baseGet.rps, note(appGet)),
        result('api.credentials.get.p99', appGet.p99, 'ms', baseGet.p99, 'p99 latency; baseline is the bare SELECT route'),
      ]
    } finally {
      await database.close()
    }
  },
}

export default [suite]
