/**
 * `npm start` as a user runs it: the server process with its own embedded
 * PostgreSQL in a data dir, stopped with SIGTERM and started again.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { freePort } from './db/embedded_postgres.ts'

const root = resolve(import.meta.dirname, '../..')
let dataDir: string
let server: ChildProcess | undefined

async function start(port: number): Promise<ChildProcess> {
  // SERVE_PWA=false: this test is about the API process; a fresh clone would otherwise build the PWA first.
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', SERVE_PWA: 'false' }
  delete env.DATABASE_URL
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/src/server.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  for (let i = 0; i < 300; i++) {
    if (output.includes('API listening')) return child
    if (child.exitCode !== null) throw new Error(`Cannot start the server: ${output}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  child.kill('SIGKILL')
  throw new Error(`Cannot start the server in 30 s: ${output}`)
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
  child.kill('SIGTERM')
  return exited
}

afterAll(async () => {
  if (server && server.exitCode === null) server.kill('SIGKILL')
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

describe('the server process', () => {
  test('keeps accounts and sites across a graceful restart, and stops its PostgreSQL', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hashinsight-restart-'))
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    server = await start(port)
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok', database: 'up' })
    const reg = await fetch(`${base}/api/auth/register`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'restart@example.com', password: 'restart account pw', tenantName: 'Restart Farm' }),
    })
    const { token } = (await reg.json()) as { token: string }
    await fetch(`${base}/api/sites`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ name: 'Kept' }) })

    expect(await stop(server)).toBe(0)
    // The embedded server removed its lock: it was stopped, not orphaned.
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false)

    server = await start(port)
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'restart@example.com', password: 'restart account pw' }),
    })
    expect(login.status).toBe(200)
    // The token from before the restart still works: the JWT secret was kept in the data dir.
    const sites = (await (await fetch(`${base}/api/sites`, { headers: { authorization: `Bearer ${token}` } })).json()) as { sites: { name: string }[] }
    expect(sites.sites.map((s) => s.name)).toEqual(['Kept'])
    expect(await stop(server)).toBe(0)
  }, 90_000)
})
