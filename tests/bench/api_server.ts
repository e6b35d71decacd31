/**
 * A server process for the API benchmarks: `app` is the real API; `baseline` is a
 * bare Fastify with one INSERT or SELECT per request over a knex pool of the same
 * size. Prints `READY <port>` once listening on loopback.
 */
import Fastify from 'fastify'
import knexFactory from 'knex'
import { randomBytes } from 'node:crypto'
import { buildApp } from '../../api/src/app.ts'
import { loadConfig } from '../../api/src/config.ts'

const [mode] = process.argv.slice(2)
const databaseUrl = process.env.BENCH_DATABASE_URL!
const jwtSecret = process.env.BENCH_JWT_SECRET ?? randomBytes(32).toString('hex')

let app
if (mode === 'app') {
  app = await buildApp({ ...loadConfig({}), databaseUrl, jwtSecret, loginRateLimit: 100_000 }, false)
} else {
  const knex = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 20 } })
  app = Fastify({ logger: false })
  app.post<{ Params: { id: string }; Body: { encrypted_credentials: unknown } }>('/api/miners/:id/credentials', async (request) => {
    await knex.raw('INSERT INTO bench_baseline (miner_id, block) VALUES (?, ?)', [request.params.id, JSON.stringify(request.body.encrypted_credentials)])
    return { success: true, miner_id: request.params.id, encrypted_credentials: request.body.encrypted_credentials }
  })
  app.get<{ Params: { id: string } }>('/api/miners/:id/credentials', async (request) => {
    const { rows } = await knex.raw('SELECT id, encrypted_credentials FROM hosting_miners WHERE id = ?', [request.params.id])
    return { success: true, miner_id: rows[0]?.id, encrypted_credentials: rows[0]?.encrypted_credentials ?? null }
  })
  app.addHook('onClose', () => knex.destroy())
}
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
console.log(`READY ${typeof address === 'object' && address ? address.port : 0}`)
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)))
