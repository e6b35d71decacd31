/** A throw-away benchmark database and API server processes, shared by the API suites. */
import knexFactory from 'knex'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startEmbeddedPostgres } from '../../api/src/db/embedded_postgres.ts'
import { migrateLatest } from '../../migrations/index.ts'
import { databaseUrl } from '../support/database.ts'

const root = resolve(import.meta.dirname, '../..')

/** A migrated database `name` on the embedded server (or DATABASE_URL's); `close` removes it all. */
export async function benchDatabase(name: string): Promise<{ url: string; serverPid(): number | null; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'hashinsight-bench-'))
  const pg = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres({ dataDir: join(dir, 'pg') })
  const adminUrl = process.env.DATABASE_URL ?? pg!.url
  const admin = knexFactory({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } })
  await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  await admin.raw(`CREATE DATABASE ${name}`)
  await admin.destroy()
  const url = databaseUrl(adminUrl, name)
  const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } })
  await migrateLatest(db)
  await db.destroy()
  return {
    url,
    /** The embedded server's postmaster, whose process tree does the database's work; null with DATABASE_URL. */
    serverPid: () => (pg ? Number(readFileSync(join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]) : null),
    async close() {
      await pg?.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Starts tests/bench/api_server.ts (`app` or `baseline`) in its own process. */
export async function startServer(mode: 'app' | 'baseline', url: string, jwtSecret: string): Promise<{ port: number; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), '--import', 'tsx', 'tests/bench/api_server.ts', mode], {
    cwd: root, env: { ...process.env, BENCH_DATABASE_URL: url, BENCH_JWT_SECRET: jwtSecret }, stdio: ['ignore', 'pipe', 'inherit'],
  })
  const port = await new Promise<number>((done, fail) => {
    let out = ''
    child.stdout!.on('data', (d) => {
      out += d
      const m = /READY (\d+)/.exec(out)
      if (m) done(Number(m[1]))
    })
    child.once('exit', (code) => fail(new Error(`Cannot start the ${mode} server (exit ${code})`)))
  })
  return { port, child, stop: () => new Promise<void>((done) => { child.once('exit', () => done()); child.kill('SIGTERM') }) }
}

/** JSON over fetch to a bench server; a string body is sent as it is (already JSON). */
export async function call<T = any>(base: string, method: string, path: string, token?: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  })
  if (res.status >= 300) throw new Error(`Cannot ${method} ${path}: ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}
