/**
 * The farm, end to end across runtimes: the real API (Node, PostgreSQL), the
 * cgminer simulator and the edge collector (Deno). Secrets are encrypted here as
 * the owner's device would; the collector enrols with a one-time code, decrypts
 * on the farm, polls over TCP and pushes telemetry that names miners by id only.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createKeyring, encryptBlock, encryptObject } from '../e2ee/mod.ts'
import { startTestApi, type Session, type TestApi } from './support/api.ts'
import { runEdge, startSimulator } from './support/processes.ts'
import { connectSse } from './support/sse.ts'

const PASSPHRASE = 'farm passphrase for the edge test'
let api: TestApi
let base: string
let owner: Session
let sim: Awaited<ReturnType<typeof startSimulator>>
let dir: string
let stateDir: string
let passphraseFile: string
let siteId: string
const miners: Record<'v1' | 'v2' | 'full', string> = { v1: '', v2: '', full: '' }
let fullAddress: string

const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  api.app.inject({ method, url, headers: owner.headers, ...(payload ? { payload } : {}) })

beforeAll(async () => {
  api = await startTestApi()
  base = await api.app.listen({ port: 0, host: '127.0.0.1' })
  // A random 127.x.y base keeps parallel runs apart.
  const x = 100 + Math.floor(Math.random() * 100)
  sim = await startSimulator(['--miners', '3', '--base', `127.${x}.7.1`, '--port', '0', '--clean'])
  dir = await mkdtemp(join(tmpdir(), 'hashinsight-edge-e2e-'))
  stateDir = join(dir, 'state')
  passphraseFile = join(dir, 'passphrase')
  await writeFile(passphraseFile, `${PASSPHRASE}\n`, { mode: 0o600 })

  owner = await api.register()
  siteId = (await call('POST', '/api/sites', { name: 'Farm' })).json().id
  const { wrapped, key } = await createKeyring(PASSPHRASE, owner.tenantId)
  await call('PUT', '/api/keyring', { keyring: wrapped })
  const address = (i: number) => `127.${x}.7.${i + 1}`
  miners.v1 = (await call('POST', `/api/sites/${siteId}/miners`, { name: 'plan-a-v1', ip_address: address(0), port: sim.port })).json().id
  miners.v2 = (await call('POST', `/api/sites/${siteId}/miners`, { name: 'plan-a-v2', ip_address: address(1), port: sim.port })).json().id
  miners.full = (await call('POST', `/api/sites/${siteId}/miners`, { name: 'plan-b', ip_address: address(2), port: sim.port })).json().id
  fullAddress = address(2)
  const creds = { username: 'root', password: 'miner-pw-5521', pool_password: 'x' }
  await call('POST', `/api/miners/${miners.v1}/credentials`, { encrypted_credentials: await encryptObject(creds, PASSPHRASE) })
  await call('POST', `/api/miners/${miners.v2}/credentials`, {
    encrypted_credentials: await encryptBlock(key, creds, { tenantId: owner.tenantId, kind: 'credentials', subjectId: miners.v2, counter: 1 }),
  })
  const conn = { ip_address: fullAddress, port: sim.port, username: 'root', password: 'full-pw-7781', pool_url: 'stratum+tcp://secret.example:3333', pool_user: 'wallet.w1', pool_password: 'x' }
  const full = await call('POST', `/api/miners/${miners.full}/connection_full`, {
    use_full_e2ee: true,
    encrypted_connection_full: await encryptBlock(key, conn, { tenantId: owner.tenantId, kind: 'connection_full', subjectId: miners.full, counter: 1 }),
  })
  expect(full.statusCode).toBe(200)
}, 120_000)

afterAll(async () => {
  await sim?.stop()
  await api?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('the edge collector against the real API and the simulator', () => {
  test('enrols with a one-time code and keeps the token to itself', async () => {
    const code = (await call('POST', `/api/sites/${siteId}/devices`, { name: 'rig 1' })).json().enrollment_code
    const enrolled = await runEdge(['enroll', code, '--api', base, '--state-dir', stateDir])
    expect(enrolled.code, enrolled.stderr).toBe(0)
    expect(enrolled.stdout + enrolled.stderr).not.toMatch(/hie_[A-Za-z0-9_-]{20,}/)
  }, 60_000)

  test('run --once decrypts v1, v2 and full-E2EE miners on the farm and delivers one sample each, live to an SSE client', async () => {
    const { ticket } = (await call('POST', '/api/stream/ticket')).json()
    const sse = await connectSse(`${base}/api/stream?ticket=${encodeURIComponent(ticket)}`)
    const run = await runEdge(['run', '--once', '--state-dir', stateDir, '--passphrase-file', passphraseFile, '--timeout', '3000'])
    expect(run.code, run.stderr).toBe(0)
    const rows = await api.app.knex('telemetry').whereIn('miner_id', Object.values(miners)).select('miner_id', 'online', 'hashrate_ths', 'detail')
    expect(new Set(rows.map((r) => r.miner_id))).toEqual(new Set(Object.values(miners)))
    for (const r of rows) {
      expect(r.online, JSON.stringify(r.detail)).toBe(true)
      expect(r.hashrate_ths).toBeGreaterThan(0)
    }
    // Edge → API → stream: the collector's batch reaches the owner's open stream.
    const live = await sse.waitFor((e) => e.event === 'telemetry' && (e.data as { site_id: string }).site_id === siteId, 10_000)
    sse.close()
    const streamed = (live.data as { miners: { miner_id: string; online: boolean }[] }).miners
    expect(new Set(streamed.map((m) => m.miner_id))).toEqual(new Set(Object.values(miners)))
    expect(streamed.every((m) => m.online)).toBe(true)
    // The full-E2EE miner's address and pool account reached no table.
    for (const table of ['telemetry', 'telemetry_batches', 'stream_events', 'miner_live', 'hosting_miners', 'audit_events']) {
      const { rows: text } = await api.app.knex.raw(`SELECT string_agg(t::text, ' ') AS all FROM ${table} t`)
      expect(text[0].all ?? '', table).not.toContain(fullAddress)
      expect(text[0].all ?? '', table).not.toContain('wallet.w1')
    }
  }, 90_000)

  test('with the API down, samples wait in the spool and arrive once when it is back', async () => {
    const before = Number((await api.app.knex('telemetry').count('* as n').first())!.n)
    const down = await runEdge(['run', '--once', '--state-dir', stateDir, '--passphrase-file', passphraseFile, '--api', 'http://127.0.0.1:9', '--timeout', '3000'])
    expect(down.code, down.stderr).toBe(0)
    expect(Number((await api.app.knex('telemetry').count('* as n').first())!.n)).toBe(before)
    const up = await runEdge(['run', '--once', '--state-dir', stateDir, '--passphrase-file', passphraseFile, '--timeout', '3000'])
    expect(up.code, up.stderr).toBe(0)
    // The spooled cycle and the new one: two samples per miner, each stored once.
    expect(Number((await api.app.knex('telemetry').count('* as n').first())!.n)).toBe(before + 6)
  }, 120_000)

  test('scan --add --full-e2ee adds found miners without their addresses reaching the server, and the collector polls them', async () => {
    const x = Number(sim.first.split('.')[1])
    const more = await startSimulator(['--miners', '2', '--base', `127.${x}.8.1`, '--port', '0', '--clean'])
    try {
      const args = ['scan', `127.${x}.8.0/29`, '--port', String(more.port), '--add', '--full-e2ee', '--state-dir', stateDir, '--passphrase-file', passphraseFile]
      const scan = await runEdge(args)
      expect(scan.code, scan.stderr).toBe(0)
      expect(scan.stderr).toMatch(/2 added to the site with full E2EE/)
      const added = await api.app.knex('hosting_miners').where({ site_id: siteId, use_full_e2ee: true }).whereNotIn('id', [miners.full])
      expect(added).toHaveLength(2)
      for (const m of added) {
        expect(m.ip_address).toBeNull()
        expect(m.name).not.toContain(`127.${x}.8`)
        expect(m.encrypted_connection_full.version).toBe(2)
      }
      const { rows } = await api.app.knex.raw(`SELECT string_agg(t::text, ' ') AS all FROM hosting_miners t`)
      expect(rows[0].all).not.toContain(`127.${x}.8.`)
      // Scanning again finds them on the site already (read by decrypting here).
      const again = await runEdge(args)
      expect(again.stderr).toMatch(/0 added/)
      const run = await runEdge(['run', '--once', '--state-dir', stateDir, '--passphrase-file', passphraseFile, '--timeout', '3000'])
      expect(run.code, run.stderr).toBe(0)
      const polled = await api.app.knex('telemetry').whereIn('miner_id', added.map((m) => m.id)).where({ online: true })
      expect(new Set(polled.map((r) => r.miner_id)).size).toBe(2)
    } finally {
      await more.stop()
    }
  }, 120_000)

  test('a revoked device stops with exit code 3', async () => {
    const device = await api.app.knex('edge_devices').where({ site_id: siteId, status: 'active' }).first('id')
    // Revoking is a four-eyes change request: the owner files it, an admin approves.
    const admin = await api.addMember(owner, 'admin')
    const change = (await call('POST', '/api/changes', { request_type: 'DEVICE_REVOKE', target_type: 'device', target_id: device.id, reason: 'retired' })).json()
    await api.app.inject({ method: 'POST', url: `/api/changes/${change.id}/approve`, headers: admin.headers })
    expect((await call('POST', `/api/changes/${change.id}/execute`, {})).json().status).toBe('EXECUTED')
    const run = await runEdge(['run', '--once', '--state-dir', stateDir, '--passphrase-file', passphraseFile])
    expect(run.code).toBe(3)
    expect(run.stderr).toMatch(/enrol/i)
  }, 60_000)
})
