/**
 * Team security from the owner's PWA in Chromium, against the real API on PostgreSQL
 * and the Deno edge: the owner adds an edge device, compares its fingerprint and
 * grants it the data key (the collector then decrypts a full-E2EE miner's v2 block
 * with no passphrase); revoking goes through a change request a second admin
 * approves, after which the device's token is refused; pool API keys are sealed in
 * the worker and their key and secret reach no table; the audit view reports the
 * chain intact, then the link broken by a tampered row.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, test } from 'vitest'
import { createKeyring, decryptBlock, encryptBlock, unlockKeyring, type DataKey } from '../../e2ee/mod.ts'
import type { Session } from '../support/api.ts'
import { runEdge, startSimulator } from '../support/processes.ts'
import { startPwaHarness, type PwaHarness } from './support/pwa_harness.ts'
import { signUpOwner } from './support/pwa_steps.ts'
import { databaseText } from '../support/database_text.ts'

const EMAIL = `owner-${randomUUID()}@example.com`
const PASSPHRASE = 'amber orchard 41 quiet harbour'
const POOL_KEYS = [
  { api_key: 'pk-live-7Hq2Lm9Xv4Rt8Wn3', api_secret: 'ps-secret-Zc61Yb05Ud72Fg19' },
  { api_key: 'pk-live-2Ka8Qp4Ns6Jd1Ve7', api_secret: 'ps-secret-Mx38Tr20Hw95Lo46' },
]

let harness: PwaHarness
let page: Page
let sim: Awaited<ReturnType<typeof startSimulator>>
let dir: string
let stateDir: string
let key: DataKey
let owner: Session
let admin: Session
let siteId: string
let minerId: string
let deviceId: string

const knex = () => harness.api.app.knex
const inject = (session: Session, method: 'GET' | 'POST', url: string, payload?: object) =>
  harness.api.app.inject({ method, url, headers: session.headers, ...(payload ? { payload } : {}) })

const deviceRow = () => page.locator(`li[data-device="${deviceId}"]`)

/** Back to the Sites screen through the app (a reload would lock the keyring). */
async function backToSites(): Promise<void> {
  const sites = page.getByRole('heading', { name: 'Sites', exact: true })
  while (!(await sites.isVisible())) await page.getByRole('button', { name: 'Back' }).click()
}

beforeAll(async () => {
  harness = await startPwaHarness()
  ;({ page } = await harness.newPhone())
  dir = await mkdtemp(join(tmpdir(), 'hashinsight-team-e2e-'))
  stateDir = join(dir, 'state')
  const x = 100 + Math.floor(Math.random() * 100)
  sim = await startSimulator(['--miners', '2', '--base', `127.${x}.11.1`, '--port', '0', '--clean'])

  await signUpOwner(page, { email: EMAIL, password: 'account password 5678', farm: 'Team Farm', passphrase: PASSPHRASE, site: 'Hall D' })

  const user = await knex()('users').where({ email: EMAIL }).first('id')
  const tenantId = (await knex()('memberships').where({ user_id: user.id }).first('tenant_id')).tenant_id
  owner = { token: harness.api.app.jwt.sign({ sub: user.id, tid: tenantId }), userId: user.id, tenantId, headers: { authorization: '' } }
  owner.headers.authorization = `Bearer ${owner.token}`
  admin = await harness.api.addMember(owner, 'admin')
  siteId = (await knex()('sites').where({ tenant_id: tenantId }).first('id')).id
  key = await unlockKeyring((await inject(owner, 'GET', '/api/keyring')).json().keyring, PASSPHRASE, tenantId)

  // A full-E2EE miner: its address exists only inside its v2 block, so polling it proves decryption.
  const [host, port] = [sim.first.split(':')[0]!, sim.port]
  minerId = (await inject(owner, 'POST', `/api/sites/${siteId}/miners`, { name: 'rig-full', ip_address: host, port })).json().id
  const connection = { ip_address: host, port, username: 'root', password: 'root', pool_url: 'stratum+tcp://p.example:3333', pool_user: 'acct.w1', pool_password: 'x' }
  const block = await encryptBlock(key, connection, { tenantId, kind: 'connection_full', subjectId: minerId, counter: 1 })
  const saved = await inject(owner, 'POST', `/api/miners/${minerId}/connection_full`, { use_full_e2ee: true, encrypted_connection_full: block })
  assert.equal(saved.statusCode, 200, saved.body)
}, 120_000)

afterAll(async () => {
  await sim?.stop()
  await harness?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('team security in the PWA', () => {
  test('the owner grants an enrolled device the data key after comparing fingerprints; the collector then decrypts with no passphrase', async () => {
    await page.getByRole('button', { name: /Hall D/ }).click()
    await page.getByRole('button', { name: 'Devices' }).click()
    await page.getByLabel('New device name').fill('Hall D collector')
    await page.getByRole('button', { name: 'Add a device' }).click()
    const command = (await page.locator('pre.command').textContent())!
    const [, code, origin] = /^npm run edge -- enroll (\S+) --api (\S+)$/.exec(command.trim())!
    assert.equal(origin, new URL(harness.baseUrl).origin)

    const enrolled = await runEdge(['enroll', code!, '--api', origin!, '--state-dir', stateDir])
    assert.equal(enrolled.code, 0, enrolled.stderr)
    const printed = /Device key fingerprint: (\S+)/.exec(enrolled.stdout + enrolled.stderr)![1]!
    deviceId = (await knex()('edge_devices').where({ site_id: siteId }).first('id')).id

    // Without a grant the collector cannot read the miner's address.
    const before = await runEdge(['run', '--once', '--state-dir', stateDir, '--timeout', '3000'])
    assert.equal(Number((await knex()('telemetry').where({ miner_id: minerId, online: true }).count('* as n'))[0]!.n), 0, before.stderr)

    // The PWA computes the fingerprint itself: a server label that disagrees blocks the grant.
    await knex()('edge_devices').where({ id: deviceId }).update({ fingerprint: 'AAAA-BBBB-CCCC-DDDD' })
    await page.getByRole('button', { name: 'Refresh' }).click()
    await deviceRow().getByText('The server labels this key AAAA-BBBB-CCCC-DDDD').waitFor()
    assert.equal(await deviceRow().getByRole('button', { name: 'Grant the data key…' }).count(), 0)
    await knex()('edge_devices').where({ id: deviceId }).update({ fingerprint: printed })

    await page.getByRole('button', { name: 'Refresh' }).click()
    await deviceRow().getByRole('button', { name: 'Grant the data key…' }).click()
    assert.equal(await deviceRow().locator('.fingerprint.big').textContent(), printed, 'the PWA shows the fingerprint the device printed')
    await deviceRow().getByRole('button', { name: 'They match: grant the key' }).click()
    await deviceRow().getByText('Holds the current key').waitFor()
    const stored = await knex()('edge_devices').where({ id: deviceId }).first('key_grant')
    assert.equal(stored.key_grant.kid, key.kid)

    const run = await runEdge(['run', '--once', '--state-dir', stateDir, '--timeout', '3000'], { HASHINSIGHT_PASSPHRASE: '' })
    assert.equal(run.code, 0, run.stderr)
    const rows = await knex()('telemetry').where({ miner_id: minerId }).orderBy('at', 'desc').select('online', 'hashrate_ths', 'detail')
    assert.equal(rows[0]?.online, true, JSON.stringify(rows[0]))
    assert.ok(Number(rows[0]!.hashrate_ths) > 0)
    assert.ok(!(await databaseText(knex())).includes(PASSPHRASE), 'no table holds the passphrase')
  }, 60_000)

  test('revoking files a DEVICE_REVOKE request; once a second admin approves and the owner executes it, the device token gets 401', async () => {
    await deviceRow().getByRole('button', { name: 'Revoke…' }).click()
    await deviceRow().getByLabel('Why revoke it?').fill('the farm computer was replaced')
    await deviceRow().getByRole('button', { name: 'Request revocation' }).click()
    await deviceRow().locator('[data-revoke="PENDING"]').waitFor()
    const request = await knex()('change_requests').where({ target_id: deviceId, request_type: 'DEVICE_REVOKE' }).first('id', 'status')
    assert.equal(request.status, 'PENDING')
    // The owner cannot approve their own request; the second admin does.
    assert.equal((await inject(owner, 'POST', `/api/changes/${request.id}/approve`, {})).statusCode, 403)
    assert.equal((await inject(admin, 'POST', `/api/changes/${request.id}/approve`, {})).statusCode, 200)

    await page.getByRole('button', { name: 'Refresh' }).click()
    await deviceRow().getByRole('button', { name: 'Revoke now' }).click()
    await page.locator(`li[data-device="${deviceId}"][data-status="revoked"]`).waitFor()
    const deviceToken = JSON.parse(await readFile(join(stateDir, 'device.json'), 'utf8')).token as string
    const edge = await harness.api.app.inject({ method: 'GET', url: '/api/edge/miners', headers: { authorization: `Bearer ${deviceToken}` } })
    assert.equal(edge.statusCode, 401)
  }, 30_000)

  test('pool API keys are sealed on the device, rotated with the old version kept, and their key and secret reach no table', async () => {
    await backToSites()
    await page.getByRole('button', { name: 'Pool API keys' }).click()
    await page.getByRole('button', { name: 'Add a key' }).click()
    await page.getByLabel('Label').fill('Payout watcher')
    await page.getByLabel('Pool', { exact: true }).fill('Braiins Pool')
    await page.getByLabel('Scopes (comma-separated)').fill('read, payouts:read')
    await page.getByLabel('API key').fill(POOL_KEYS[0]!.api_key)
    await page.getByLabel('API secret').fill(POOL_KEYS[0]!.api_secret)
    await page.getByRole('button', { name: 'Encrypt and save' }).click()
    const row = page.locator('li[data-pool-key]')
    const first = (await row.locator('.fingerprint').textContent())!
    assert.match(first, /^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/)

    await row.getByRole('button', { name: 'Rotate…' }).click()
    await row.getByLabel('API key').fill(POOL_KEYS[1]!.api_key)
    await row.getByLabel('API secret').fill(POOL_KEYS[1]!.api_secret)
    await row.getByRole('button', { name: 'Encrypt and rotate' }).click()
    await row.getByText('version 2 (1 earlier kept)').waitFor()
    const second = (await row.locator('.fingerprint').textContent())!
    assert.notEqual(second, first, 'a new key has a new fingerprint')

    const id = (await row.getAttribute('data-pool-key'))!
    const view = (await inject(owner, 'GET', `/api/pool-keys/${id}`)).json()
    const context = { tenantId: owner.tenantId, kind: 'pool_api_key' as const, subjectId: id }
    // The pool is sealed with the key (added and rotated alike), so the edge asks that pool only.
    assert.deepEqual(await decryptBlock(key, view.block, context), { ...POOL_KEYS[1], pool: 'Braiins Pool' })
    assert.deepEqual(await decryptBlock(key, view.history[0].block, context), { ...POOL_KEYS[0], pool: 'Braiins Pool' })
    const db = await databaseText(knex())
    for (const part of POOL_KEYS.flatMap((k) => [k.api_key, k.api_secret])) {
      assert.ok(!db.includes(part), `no table holds ${part}`)
      for (const fingerprint of [first, second]) assert.ok(!fingerprint.replace(/-/g, '').includes(part.slice(-4).toLowerCase()))
    }
  }, 30_000)

  test('after the revocation the data key is rotated: a four-eyes request, every block re-encrypted under the new kid with progress shown, the remaining device granted again', async () => {
    // A second collector, granted after comparing its fingerprint, stays active.
    const secondDir = join(dir, 'second')
    await backToSites()
    await page.getByRole('button', { name: /Hall D/ }).click()
    await page.getByRole('button', { name: 'Devices' }).click()
    const code = (await inject(owner, 'POST', `/api/sites/${siteId}/devices`, { name: 'Hall D spare' })).json().enrollment_code
    assert.equal((await runEdge(['enroll', code, '--api', harness.baseUrl, '--state-dir', secondDir])).code, 0)
    const second = (await knex()('edge_devices').where({ site_id: siteId, name: 'Hall D spare' }).first('id')).id
    const secondRow = page.locator(`li[data-device="${second}"]`)
    await page.getByRole('button', { name: 'Refresh' }).click()
    await secondRow.getByRole('button', { name: 'Grant the data key…' }).click()
    await secondRow.getByRole('button', { name: 'They match: grant the key' }).click()
    await secondRow.getByText('Holds the current key').waitFor()

    const panel = page.locator('section[aria-label="Data key rotation"]')
    await panel.getByRole('button', { name: 'Rotate the data key…' }).click()
    await panel.getByLabel('Why rotate it?').fill('a collector was revoked')
    await panel.getByRole('button', { name: 'Request the rotation' }).click()
    await panel.locator('[data-rotation-request="PENDING"]').waitFor()
    const request = await knex()('change_requests').where({ tenant_id: owner.tenantId, request_type: 'BATCH_REENCRYPT' }).first('id')
    assert.equal((await inject(admin, 'POST', `/api/changes/${request.id}/approve`, {})).statusCode, 200)
    await page.getByRole('button', { name: 'Refresh' }).click()
    await panel.getByRole('button', { name: 'Authorise the rotation' }).click()
    await panel.getByRole('button', { name: 'Rotate the data key now' }).click()
    await panel.locator('[data-rotation-step="done"]').waitFor({ timeout: 30_000 })
    assert.match((await panel.textContent())!, /Rotation complete: 2 secrets re-encrypted under the new key/)
    assert.equal(await panel.locator('progress').getAttribute('value'), '2')

    const ring = await knex()('keyrings').where({ tenant_id: owner.tenantId }).first('kid', 'kdf', 'wrapped_key')
    assert.notEqual(ring.kid, key.kid)
    const newKey = await unlockKeyring(ring, PASSPHRASE, owner.tenantId)
    const miner = await knex()('hosting_miners').where({ id: minerId }).first('encrypted_connection_full')
    assert.equal(miner.encrypted_connection_full.kid, ring.kid)
    assert.equal((await decryptBlock<{ pool_user: string }>(newKey, miner.encrypted_connection_full, { tenantId: owner.tenantId, kind: 'connection_full', subjectId: minerId })).pool_user, 'acct.w1')
    const pool = await knex()('secret_blocks').where({ tenant_id: owner.tenantId }).pluck('block')
    assert.ok(pool.length > 0 && pool.every((b: { kid: string }) => b.kid === ring.kid))
    assert.equal((await knex()('key_rotations').where({ tenant_id: owner.tenantId }).first('status')).status, 'COMPLETED')
    // The active device holds the new key (granted again without a new comparison); the revoked one nothing.
    const grants = Object.fromEntries((await knex()('edge_devices').whereIn('id', [second, deviceId]).select('id', 'key_grant')).map((d) => [d.id, d.key_grant?.kid ?? null]))
    assert.equal(grants[second], ring.kid)
    assert.notEqual(grants[deviceId], ring.kid)
    await knex()('telemetry').where({ miner_id: minerId }).delete()
    const run = await runEdge(['run', '--once', '--state-dir', secondDir, '--timeout', '3000'], { HASHINSIGHT_PASSPHRASE: '' })
    assert.equal(run.code, 0, run.stderr)
    assert.equal((await knex()('telemetry').where({ miner_id: minerId }).first('online'))?.online, true, run.stderr)
  }, 60_000)

  test('a rotation interrupted half-way (started elsewhere, one block done) resumes in the PWA after a reload and unlock', async () => {
    const { id: changeId } = (await inject(admin, 'POST', '/api/changes', { request_type: 'BATCH_REENCRYPT', target_type: 'tenant', target_id: owner.tenantId, reason: 'drill' })).json()
    assert.equal((await inject(owner, 'POST', `/api/changes/${changeId}/approve`, {})).statusCode, 200)
    const { rotation_id } = (await inject(admin, 'POST', `/api/changes/${changeId}/execute`, {})).json()
    // Another of the owner's devices starts the rotation, re-encrypts the miner's block, and stops.
    const old = (await inject(owner, 'GET', '/api/keyring')).json()
    const oldKey = await unlockKeyring(old.keyring, PASSPHRASE, owner.tenantId)
    const next = await createKeyring(PASSPHRASE, owner.tenantId)
    assert.equal((await inject(admin, 'POST', `/api/keyring/rotation/${rotation_id}/start`, { keyring: next.wrapped, base_revision: old.revision })).statusCode, 200)
    const stored = (await knex()('hosting_miners').where({ id: minerId }).first('encrypted_connection_full')).encrypted_connection_full
    const scope = { tenantId: owner.tenantId, kind: 'connection_full' as const, subjectId: minerId }
    const moved = await encryptBlock(next.key, await decryptBlock(oldKey, stored, scope), { ...scope, counter: stored.counter + 1 })
    assert.equal((await inject(admin, 'POST', `/api/miners/${minerId}/connection_full`, { use_full_e2ee: true, encrypted_connection_full: moved })).statusCode, 200)
    assert.equal((await inject(owner, 'GET', '/api/keyring/rotation')).json().remaining.count, 1)

    await page.reload()
    await page.getByLabel('Encryption passphrase').fill(PASSPHRASE)
    await page.getByRole('button', { name: 'Unlock' }).click()
    const panel = page.locator('section[aria-label="Data key rotation"]')
    await panel.getByRole('button', { name: 'Resume the rotation' }).click()
    await panel.locator('[data-rotation-step="done"]').waitFor({ timeout: 30_000 })
    assert.equal((await knex()('key_rotations').where({ id: rotation_id }).first('status')).status, 'COMPLETED')
    const pool = await knex()('secret_blocks').where({ tenant_id: owner.tenantId }).pluck('block')
    assert.ok(pool.every((b: { kid: string }) => b.kid === next.wrapped.kid))
    const spare = await knex()('edge_devices').where({ site_id: siteId, name: 'Hall D spare' }).first('key_grant')
    assert.equal(spare.key_grant.kid, next.wrapped.kid, 'the fingerprint confirmed before the reload is remembered, so the device is granted again')
  }, 60_000)

  test('the audit view shows the chain intact, then the link broken by a tampered row', async () => {
    await backToSites()
    await page.getByRole('button', { name: 'Audit log' }).click()
    const status = page.locator('[data-chain]')
    await status.waitFor()
    const intact = (await status.textContent())!
    const checked = Number(/^Chain intact, (\d+) events checked$/.exec(intact)?.[1])
    assert.ok(checked >= 5, intact)
    await page.locator('table[aria-label="Audit events"] td', { hasText: 'device.grant' }).first().waitFor()

    const target = await knex()('audit_events').where({ tenant_id: owner.tenantId, action: 'device.grant' }).first('id')
    await knex()('audit_events').where({ id: target.id }).update({ action: 'device.create' })
    await page.getByRole('button', { name: 'Check again' }).click()
    await page.locator('[data-chain="broken"]').waitFor()
    assert.equal(await status.textContent(), `Broken at event ${target.id}: content does not match its hash (the event was altered)`)
  }, 30_000)
})
