/**
 * `npm run demo`: the whole system on this machine — the API with its embedded
 * PostgreSQL and the PWA, a demo tenant with a site of 200 simulated miners (a few
 * faulty), and an enrolled edge collector polling them — then prints where to look.
 * Ctrl-C stops everything. Data is kept in .data/demo, so a second run resumes.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { createKeyring, encryptBlock, unlockKeyring } from '../e2ee/mod.ts'
import { loopbackRange } from '../tests/sim/addresses.ts'

const ROOT = resolve(import.meta.dirname, '..')
const DENO = resolve(ROOT, 'node_modules/.bin/deno')
const DATA = resolve(ROOT, '.data/demo')
const PORT = Number(process.env.PORT ?? 8080)
const API = `http://127.0.0.1:${PORT}`
const MINERS = 200
const SIM_BASE = '127.10.0.1'
const DEMO = { email: 'demo@hashinsight.local', password: 'demo farm password', passphrase: 'demo passphrase: orchard lantern quartz' }
// A few miners misbehave so the dashboard has something to show.
const FAULTS = ['3:silent', '17:garbage', '42:delay=9000', '77:reset', '123:noDevices']

const children: ChildProcess[] = []
const log = (line: string) => console.log(`[demo] ${line}`)

function start(name: string, command: string, args: string[], env: Record<string, string>, ready: RegExp): Promise<string> {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  return new Promise((done, fail) => {
    let out = ''
    const watch = (d: Buffer) => {
      out += d
      const m = ready.exec(out)
      if (m) done(m[1] ?? m[0])
    }
    child.stdout!.on('data', watch)
    child.stderr!.on('data', (d) => {
      watch(d)
      if (process.env.DEMO_VERBOSE) process.stderr.write(`[${name}] ${d}`)
    })
    child.once('exit', (code) => fail(new Error(`Cannot start ${name} (exit ${code}):\n${out.slice(-2000)}`)))
  })
}

async function api(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  return { status: res.status, json: await res.json().catch(() => null) }
}

// The same addresses the simulator binds, in the same order.
const ADDRESSES = loopbackRange(SIM_BASE, MINERS)
const address = (i: number) => ADDRESSES[i]!

async function seed(): Promise<{ token: string; tenantId: string; siteId: string }> {
  let session = await api('POST', '/api/auth/login', undefined, { email: DEMO.email, password: DEMO.password })
  if (session.status !== 200) session = await api('POST', '/api/auth/register', undefined, { email: DEMO.email, password: DEMO.password, tenantName: 'Demo Mining Co.' })
  const { token } = session.json
  const tenantId = session.json.tenant.id
  let site = (await api('GET', '/api/sites', token)).json.sites.find((s: { name: string }) => s.name === 'Demo Farm')
  site ??= (await api('POST', '/api/sites', token, { name: 'Demo Farm', location: 'Loopback Valley' })).json
  const stored = (await api('GET', '/api/keyring', token)).json.keyring
  const key = stored
    ? await unlockKeyring(stored, DEMO.passphrase, tenantId)
    : await (async () => {
      const created = await createKeyring(DEMO.passphrase, tenantId)
      await api('PUT', '/api/keyring', token, { keyring: created.wrapped })
      return created.key
    })()
  const existing = new Set((await api('GET', `/api/sites/${site.id}/miners`, token)).json.miners.map((m: { name: string }) => m.name))
  for (let i = 0; i < MINERS; i++) {
    const name = `rack-${String(Math.floor(i / 20) + 1).padStart(2, '0')}-${String((i % 20) + 1).padStart(2, '0')}`
    if (existing.has(name)) continue
    const miner = (await api('POST', `/api/sites/${site.id}/miners`, token, { name, ip_address: address(i), port: 4028 })).json
    const creds = { username: 'root', password: `pw-${i}`, pool_password: 'x' }
    await api('POST', `/api/miners/${miner.id}/credentials`, token, {
      encrypted_credentials: await encryptBlock(key, creds, { tenantId, kind: 'credentials', subjectId: miner.id, counter: 1 }),
    })
    // Every tenth miner in full E2EE: the server does not even know where it is.
    if (i % 10 === 0) {
      const conn = { ip_address: address(i), port: 4028, ...creds, pool_url: 'stratum+tcp://pool.example:3333', pool_user: `demo.${name}` }
      await api('POST', `/api/miners/${miner.id}/connection_full`, token, {
        use_full_e2ee: true,
        encrypted_connection_full: await encryptBlock(key, conn, { tenantId, kind: 'connection_full', subjectId: miner.id, counter: 1 }),
      })
    }
  }
  return { token, tenantId, siteId: site.id }
}

async function main(): Promise<void> {
  await mkdir(DATA, { recursive: true })
  log('starting the API (embedded PostgreSQL; the first start also builds the PWA)…')
  await start('api', process.execPath, ['--import', 'tsx', 'api/src/server.ts'], { PORT: String(PORT), DATA_DIR: DATA, LOG_LEVEL: 'warn' }, /API listening/)
  log(`starting the cgminer simulator: ${MINERS} miners on ${address(0)}…${address(MINERS - 1)}:4028`)
  await start('simulator', DENO, ['run', '-A', 'tests/sim/main.ts', '--miners', String(MINERS), '--base', address(0), '--port', '4028', ...FAULTS.flatMap((f) => ['--fault', f])], {}, /READY/)
  const { token, siteId } = await seed()
  const stateDir = join(DATA, 'edge')
  const passphraseFile = join(DATA, 'passphrase')
  await writeFile(passphraseFile, `${DEMO.passphrase}\n`, { mode: 0o600 })
  if (!existsSync(join(stateDir, 'device.json'))) {
    const code = (await api('POST', `/api/sites/${siteId}/devices`, token, { name: 'demo edge' })).json.enrollment_code
    await start('enroll', DENO, ['run', '-A', 'edge-deno/main.ts', 'enroll', code, '--api', API, '--state-dir', stateDir], {}, /./)
    await new Promise((r) => setTimeout(r, 1500))
  }
  log('starting the edge collector (polls every 5 s)…')
  void start('edge', DENO, ['run', '-A', 'edge-deno/main.ts', 'run', '--state-dir', stateDir, '--passphrase-file', passphraseFile, '--interval', '5000'], {}, /$^/).catch((e: Error) => log(e.message))
  console.log(`
  HashInsight E2EE demo is running.

    Open        http://localhost:${PORT}
    Sign in     ${DEMO.email} / ${DEMO.password}
    Passphrase  ${DEMO.passphrase}

  ${MINERS} simulated miners on loopback, a few faulty; telemetry arrives every 5 s.
  Live events: POST /api/stream/ticket then GET /api/stream?ticket=…  ·  Ctrl-C stops everything.
`)
}

async function stop(): Promise<void> {
  for (const child of [...children].reverse()) {
    if (child.exitCode !== null) continue
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
  }
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
// Whoever started us is gone (npm killed without passing the signal on): stop too.
const parent = process.ppid
setInterval(() => process.ppid !== parent && void stop(), 1000).unref()

main().catch(async (err: Error) => {
  console.error(`[demo] ${err.message}`)
  await stop()
})
