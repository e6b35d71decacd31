/**
 * Remote control end to end: the owner's PWA in Chromium seals commands, the real
 * API routes them, the Deno edge opens them and drives the simulator (a stock
 * Antminer through its Digest-protected web interface, a LuxOS miner through the
 * privileged cgminer API), and the results show live in the PWA. A set_password
 * ends with the miner and the stored credentials block agreeing on the new password;
 * no table ever holds a pool or miner password in clear.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, test } from 'vitest'
import { decryptBlock, encryptBlock, sealCommand, unlockKeyring, type DataKey } from '../../e2ee/mod.ts'
import { digestAuthorization } from '../../edge-deno/control/digest.ts'
import { DENO, ROOT, runEdge, startSimulator } from '../support/processes.ts'
import { startPwaHarness, type PwaHarness } from './support/pwa_harness.ts'
import { signIn, signUpOwner } from './support/pwa_steps.ts'
import { databaseText } from '../support/database_text.ts'
import { waitFor as waitForUntil } from './support/wait_for.ts'
import { freePort } from '../../api/src/db/embedded_postgres.ts'

/** GET with Digest auth as the miner's web login, from Node: the edge's own client runs on Deno. */
async function digestGet(url: string, login: { user: string; password: string }): Promise<Response> {
  const challenge = await fetch(url)
  await challenge.body?.cancel()
  const { pathname } = new URL(url)
  return fetch(url, { headers: { authorization: digestAuthorization(challenge.headers.get('www-authenticate') ?? '', login, 'GET', pathname) } })
}

const EMAIL = `owner-${randomUUID()}@example.com`
const PASSPHRASE = 'copper kettle 93 lantern north'
const POOL = { url: 'stratum+tcp://control-pool.example:3333', user: 'farm-acct.rig9', password: 'ctl-pool-pw-Wq82' }
const NEW_PASSWORD = 'ctl-new-miner-pw-Zr55'

let harness: PwaHarness
let page: Page
let sim: Awaited<ReturnType<typeof startSimulator>>
let webPort: number
let edge: ChildProcess | undefined
let edgeLog = ''
let dir: string
let key: DataKey
let tenantId: string
let siteId: string
type Call = (method: 'GET' | 'POST', url: string, payload?: object) => Promise<{ statusCode: number; body: string; json(): any }>
let ownerCall: Call
const miners = { ant: '', lux: '' }

const knex = () => harness.api.app.knex


const waitFor = <T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = 30_000) => waitForUntil(what, probe, ms, () => `edge log:\n${edgeLog}`)

/** Runs a command from the Control panel and waits until the PWA shows it done. */
async function control(action: string, fill: () => Promise<void>, confirmations: number): Promise<string> {
  const previous = (await page.locator('section[aria-label="Command progress"]').getAttribute('data-command', { timeout: 100 }).catch(() => null)) ?? 'none'
  await page.getByLabel('Action').selectOption({ label: action })
  await fill()
  await page.getByRole('button', { name: `${action}…` }).click()
  for (let i = 0; i < confirmations; i++) await page.getByRole('button', { name: 'Confirm and send' }).click()
  const section = page.locator(`section[aria-label="Command progress"]:not([data-command="${previous}"])`)
  await section.locator('[data-status="done"]').waitFor({ timeout: 30_000 }).catch((e) => {
    throw new Error(`${e}\nedge log:\n${edgeLog}`)
  })
  return (await section.textContent()) ?? ''
}

beforeAll(async () => {
  harness = await startPwaHarness()
  ;({ page } = await harness.newPhone())
  dir = await mkdtemp(join(tmpdir(), 'hashinsight-control-e2e-'))
  const x = 100 + Math.floor(Math.random() * 100)
  webPort = await freePort()
  sim = await startSimulator(['--miners', '5', '--base', `127.${x}.9.1`, '--port', '0', '--web-port', String(webPort), '--clean'])

  // The owner signs up and makes the keyring in the PWA, as in pwa_flow.
  await signUpOwner(page, { email: EMAIL, password: 'account password 5678', farm: 'Control Farm', passphrase: PASSPHRASE, site: 'Hall C' })

  // Two miners with the simulator's logins, saved as the owner's device would (index 0: S19, 3: LuxOS).
  const user = await knex()('users').where({ email: EMAIL }).first('id')
  tenantId = (await knex()('memberships').where({ user_id: user.id }).first('tenant_id')).tenant_id
  siteId = (await knex()('sites').where({ tenant_id: tenantId }).first('id')).id
  const headers = { authorization: `Bearer ${harness.api.app.jwt.sign({ sub: user.id, tid: tenantId })}` }
  const call: Call = (ownerCall = (method, url, payload) => harness.api.app.inject({ method, url, headers, ...(payload ? { payload } : {}) }))
  key = await unlockKeyring((await call('GET', '/api/keyring')).json().keyring, PASSPHRASE, tenantId)
  for (const [name, index] of [['ant', 1], ['lux', 4]] as const) {
    const created = await call('POST', `/api/sites/${siteId}/miners`, { name: `${name}-1`, ip_address: `127.${x}.9.${index}`, port: sim.port })
    miners[name] = created.json().id
    const creds = await encryptBlock(key, { username: 'root', password: 'root', pool_password: 'x' }, { tenantId, kind: 'credentials', subjectId: miners[name], counter: 1 })
    assert.equal((await call('POST', `/api/miners/${miners[name]}/credentials`, { encrypted_credentials: creds })).statusCode, 200)
  }

  // The edge: enrolled with a one-time code, running beside the farm.
  const stateDir = join(dir, 'state')
  const passphraseFile = join(dir, 'passphrase')
  await writeFile(passphraseFile, `${PASSPHRASE}\n`, { mode: 0o600 })
  const code = (await call('POST', `/api/sites/${siteId}/devices`, { name: 'rig' })).json().enrollment_code
  const enrolled = await runEdge(['enroll', code, '--api', harness.baseUrl, '--state-dir', stateDir])
  assert.equal(enrolled.code, 0, enrolled.stderr)
  edge = spawn(DENO, ['run', '-A', 'edge-deno/main.ts', 'run', '--state-dir', stateDir, '--passphrase-file', passphraseFile, '--interval', '2000', '--timeout', '3000'], {
    cwd: ROOT, env: { ...process.env, HASHINSIGHT_MINER_WEB_PORT: String(webPort) }, stdio: ['ignore', 'ignore', 'pipe'],
  })
  edge.stderr!.on('data', (d) => (edgeLog += d))
  await waitFor('the edge to poll', async () => /Cycle 1:/.test(edgeLog))
}, 240_000)

afterAll(async () => {
  if (edge && edge.exitCode === null) await new Promise((done) => (edge!.once('exit', done), edge!.kill('SIGTERM')))
  await sim?.stop()
  await harness?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('remote control from the PWA', () => {
  test('set_pools reaches an Antminer over its web interface and a LuxOS miner over cgminer, with live results in the PWA', async () => {
    await page.getByRole('button', { name: /Hall C/ }).click()
    await page.getByText('ant-1').waitFor()
    await page.getByRole('button', { name: 'Control…' }).click()
    // What the page's EventSource receives (Chromium's own view of the stream).
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Network.enable')
    const progress: { id: string; status: string }[] = []
    cdp.on('Network.eventSourceMessageReceived', (m) => void (m.eventName === 'command.progress' && progress.push(JSON.parse(m.data))))
    const text = await control('Set pools', async () => {
      await page.getByLabel('Pool 1 URL').fill(POOL.url)
      await page.getByLabel('Pool 1 user').fill(POOL.user)
      await page.getByLabel('Pool 1 password').fill(POOL.password)
    }, 1)
    assert.match(text, /2 ok, 0 failed/)
    const shown = await page.locator('section[aria-label="Command progress"]').getAttribute('data-command')
    assert.ok(progress.some((p) => p.id === shown && p.status === 'done'), `the results came over the stream: ${JSON.stringify(progress)}`)
    await cdp.detach()
    const conf = await (await digestGet(`http://${sim.first.split(':')[0]}:${webPort}/cgi-bin/get_miner_conf.cgi`, { user: 'root', password: 'root' })).json() as { pools: unknown }
    assert.deepEqual(conf.pools, [{ url: POOL.url, user: POOL.user, pass: POOL.password }])
    assert.ok(!(await databaseText(knex())).includes(POOL.password), 'no table holds the pool password')
  }, 90_000)

  test('set_password needs a second confirmation, changes the Antminer web login, and the stored block agrees', async () => {
    const text = await control("Change the miner's web password", async () => {
      await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD)
      await page.getByLabel('New password again').fill(NEW_PASSWORD)
    }, 2)
    assert.match(text, /1 ok, 0 failed, 1 not supported/)
    assert.match(text, /lux-1: unsupported \(not supported by this miner\)/)
    const row = await waitFor('the new credentials block', async () => {
      const m = await knex()('hosting_miners').where({ id: miners.ant }).first('encrypted_credentials')
      return m.encrypted_credentials?.counter === 2 ? m : null
    })
    const stored = await decryptBlock<{ password: string }>(key, row.encrypted_credentials, { tenantId, kind: 'credentials', subjectId: miners.ant })
    assert.equal(stored.password, NEW_PASSWORD)
    const conf = await digestGet(`http://${sim.first.split(':')[0]}:${webPort}/cgi-bin/get_miner_conf.cgi`, { user: 'root', password: stored.password })
    assert.equal(conf.status, 200)
    await conf.body?.cancel()
    const db = await databaseText(knex())
    for (const secret of [NEW_PASSWORD, POOL.password, PASSPHRASE]) assert.ok(!db.includes(secret), `no table holds ${secret}`)
    const audit = await knex()('audit_events').where({ target_type: 'command' }).pluck('action')
    assert.deepEqual(audit.sort(), ['command.complete', 'command.complete', 'command.issue', 'command.issue'])
  }, 90_000)

  test('a viewer watches the miners but has no way to send them commands, and the API refuses one', async () => {
    const VIEWER = `viewer-${randomUUID()}@example.com`
    const invited = await ownerCall('POST', '/api/members/invitations', { email: VIEWER, role: 'viewer' })
    assert.equal(invited.statusCode, 201, invited.body)
    const accepted = await harness.api.app.inject({ method: 'POST', url: '/api/auth/accept-invitation', payload: { token: invited.json().token, password: 'viewer account pw 4321' } })
    assert.equal(accepted.statusCode, 200, accepted.body)
    const viewer = (await harness.newPhone()).page
    await signIn(viewer, '/', { email: VIEWER, password: 'viewer account pw 4321', passphrase: PASSPHRASE })
    await viewer.getByRole('button', { name: /Hall C/ }).click()
    await viewer.getByText('ant-1').waitFor()
    await viewer.getByRole('button', { name: 'Control…' }).click()
    await viewer.getByText('Your role (viewer) can watch miners but not send them commands.').waitFor()
    assert.equal(await viewer.getByLabel('Action').count(), 0, 'no action to choose')
    const before = await knex()('commands').count({ n: '*' }).first()
    // A well-formed sealed command (the viewer can unlock the key too): refused for the role, not the body.
    const now = Date.now()
    const command = { command_id: randomUUID(), tenant: tenantId, site: siteId, miner_ids: [miners.ant], action: 'reboot' as const, params: {}, issued_at: new Date(now).toISOString(), expires_at: new Date(now + 60_000).toISOString() }
    const refused = await harness.api.app.inject({
      method: 'POST', url: '/api/commands', headers: { authorization: `Bearer ${accepted.json().token}` },
      payload: { command_id: command.command_id, site_id: siteId, miner_ids: command.miner_ids, action: 'reboot', expires_at: command.expires_at, sealed: await sealCommand(key, command) },
    })
    assert.equal(refused.statusCode, 403, refused.body)
    assert.deepEqual(await knex()('commands').count({ n: '*' }).first(), before)
  }, 90_000)
})
