/**
 * The promise, end to end: secrets encrypted with e2ee/ go through the API into
 * PostgreSQL, and no table holds any of them in plaintext afterwards — while the
 * owner's device still gets every one of them back.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { randomUUID } from 'node:crypto'
import { createDeviceKeyPair, createKeyring, decryptBlock, decryptObject, encryptBlock, encryptObject, grantDataKey, sealCommand, type Command } from '../e2ee/mod.ts'
import { startTestApi, type Session, type TestApi } from './support/api.ts'

const PASSPHRASE = 'orchard-lantern-quartz-71'
const PLAN_A_CREDS = { username: 'root-operator-7731', password: 'S3cret-miner-pw-9911', pool_password: 'pool-pw-ZX81-unique' }
const PLAN_A_V1_CREDS = { username: 'legacy-user-4471', password: 'legacy-pw-Qm2-8821', pool_password: 'legacy-pool-pw-1234' }
const PLAN_B_CONN = {
  ip_address: '198.51.100.203', port: 4031, username: 'fullmode-user-5521', password: 'fullmode-pw-Vx9-3301',
  pool_url: 'stratum+tcp://secret-pool.example:3333', pool_user: 'wallet.worker-8812', pool_password: 'fullmode-pool-pw-6642',
}
// Sealed remote-control commands carry pool and new miner passwords (issue 9).
const COMMAND_POOL = { url: 'stratum+tcp://cmd-pool.example:3333', user: 'cmd-wallet.worker-4410', password: 'cmd-pool-pw-Jq7-5530' }
const COMMAND_NEW_PASSWORD = 'cmd-new-miner-pw-Hh3-7702'
// Team security (issue 8): pool API keys (and a rotated version), a device key grant, an invitation.
const POOL_KEY = { api_key: 'poolkey-live-Zr8-4471', api_secret: 'poolsecret-live-Kc2-9035' }
const POOL_KEY_OLD = { api_key: 'poolkey-old-Tm5-1180', api_secret: 'poolsecret-old-Wq6-2267' }
const TEAM_SECRETS: string[] = []
const SECRETS = [PASSPHRASE, ...Object.values(POOL_KEY), ...Object.values(POOL_KEY_OLD), ...Object.values(COMMAND_POOL), COMMAND_NEW_PASSWORD, ...Object.values(PLAN_A_CREDS), ...Object.values(PLAN_A_V1_CREDS), ...Object.values(PLAN_B_CONN).filter((v) => typeof v === 'string')]

let api: TestApi
let owner: Session
let planA: string
let planAv1: string
let planB: string

const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  api.app.inject({ method, url, headers: owner.headers, ...(payload ? { payload } : {}) })

async function everyRowAsText(): Promise<string> {
  const tables: string[] = await api.app.knex('information_schema.tables').where({ table_schema: 'public', table_type: 'BASE TABLE' }).pluck('table_name')
  expect(tables).toEqual(expect.arrayContaining(['hosting_miners', 'keyrings', 'audit_events', 'users']))
  const parts: string[] = []
  for (const table of tables) {
    const { rows } = await api.app.knex.raw(`SELECT t::text AS row FROM ${api.app.knex.raw('??', [table]).toQuery()} t`)
    parts.push(...rows.map((r: { row: string }) => `${table}: ${r.row}`))
  }
  return parts.join('\n')
}

beforeAll(async () => {
  api = await startTestApi()
  owner = await api.register('Secret Farm')
  const siteId = (await call('POST', '/api/sites', { name: 'Site' })).json().id
  const create = async (name: string, ip: string) => (await call('POST', `/api/sites/${siteId}/miners`, { name, ip_address: ip })).json().id
  planA = await create('plan-a', '203.0.113.10')
  planAv1 = await create('plan-a-v1', '203.0.113.11')
  planB = await create('plan-b', PLAN_B_CONN.ip_address)

  const { wrapped, key } = await createKeyring(PASSPHRASE, owner.tenantId, { grantable: true })
  expect((await call('PUT', '/api/keyring', { keyring: wrapped })).statusCode).toBe(200)
  const creds = await encryptBlock(key, PLAN_A_CREDS, { tenantId: owner.tenantId, kind: 'credentials', subjectId: planA, counter: 1 })
  expect((await call('POST', `/api/miners/${planA}/credentials`, { encrypted_credentials: creds })).statusCode).toBe(200)
  const legacy = await encryptObject(PLAN_A_V1_CREDS, PASSPHRASE)
  expect((await call('POST', `/api/miners/${planAv1}/credentials`, { encrypted_credentials: legacy })).statusCode).toBe(200)
  const conn = await encryptBlock(key, PLAN_B_CONN, { tenantId: owner.tenantId, kind: 'connection_full', subjectId: planB, counter: 1 })
  expect((await call('POST', `/api/miners/${planB}/connection_full`, { use_full_e2ee: true, encrypted_connection_full: conn })).statusCode).toBe(200)

  const expires_at = new Date(Date.now() + 600_000).toISOString()
  const issue = async (action: Command['action'], params: Command['params']) => {
    const command: Command = { command_id: randomUUID(), tenant: owner.tenantId, site: siteId, miner_ids: [planA, planB], action, params, issued_at: new Date().toISOString(), expires_at }
    const sealed = await sealCommand(key, command)
    const res = await call('POST', '/api/commands', { command_id: command.command_id, site_id: siteId, miner_ids: command.miner_ids, action, expires_at, sealed })
    expect(res.statusCode).toBe(201)
  }
  await issue('set_pools', { pools: [COMMAND_POOL] })
  await issue('set_password', { new_password: COMMAND_NEW_PASSWORD })

  const poolKeyId = randomUUID()
  const poolBlock = (value: object, counter: number) => encryptBlock(key, value, { tenantId: owner.tenantId, kind: 'pool_api_key', subjectId: poolKeyId, counter })
  expect((await call('POST', '/api/pool-keys', { id: poolKeyId, label: 'Payouts', pool: 'Pool', scopes: ['read'], fingerprint: 'fp-old-0001', block: await poolBlock(POOL_KEY_OLD, 1) })).statusCode).toBe(201)
  expect((await call('POST', `/api/pool-keys/${poolKeyId}/rotate`, { fingerprint: 'fp-new-0002', block: await poolBlock(POOL_KEY, 2) })).statusCode).toBe(200)
  const device = await createDeviceKeyPair({ exportPrivate: true })
  const code = (await call('POST', `/api/sites/${siteId}/devices`, { name: 'rig' })).json().enrollment_code
  const enrolled = (await api.app.inject({ method: 'POST', url: '/api/edge/enroll', payload: { code, public_key: device.publicKey } })).json()
  const grant = await grantDataKey(key, device.publicKey, { tenantId: owner.tenantId, deviceId: enrolled.device_id })
  expect((await call('PUT', `/api/devices/${enrolled.device_id}/grant`, { grant })).statusCode).toBe(200)
  const invitation = (await call('POST', '/api/members/invitations', { email: 'new-member@example.com', role: 'viewer' })).json().token
  // The data key's raw bytes, the device's private key and the one-time tokens are in no table either.
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', key.cryptoKey))
  TEAM_SECRETS.push(Buffer.from(raw).toString('base64'), Buffer.from(raw).toString('hex'), device.privateKeyJwk!.d as string, invitation.slice(4), enrolled.token.slice(4), code)
}, 60_000)
afterAll(() => api.close())

describe('secrets at rest', () => {
  test('no table holds a secret, the passphrase, or the full-mode address', async () => {
    const dump = await everyRowAsText()
    for (const secret of [...SECRETS, ...TEAM_SECRETS]) expect(dump, secret).not.toContain(secret)
    expect(TEAM_SECRETS).toHaveLength(6)
  })

  test('the scan does find what is stored in plaintext on purpose (the Plan A address)', async () => {
    expect(await everyRowAsText()).toContain('203.0.113.10')
  })

  test("the owner's device gets every secret back from what the API returns", async () => {
    const keyring = (await call('GET', '/api/keyring')).json().keyring
    const { unlockKeyring } = await import('../e2ee/mod.ts')
    const key = await unlockKeyring(keyring, PASSPHRASE, owner.tenantId)
    const creds = (await call('GET', `/api/miners/${planA}/credentials`)).json().encrypted_credentials
    expect(await decryptBlock(key, creds, { tenantId: owner.tenantId, kind: 'credentials', subjectId: planA })).toEqual(PLAN_A_CREDS)
    const legacy = (await call('GET', `/api/miners/${planAv1}/credentials`)).json().encrypted_credentials
    expect(await decryptObject(legacy, PASSPHRASE)).toEqual(PLAN_A_V1_CREDS)
    const conn = (await call('GET', `/api/miners/${planB}/connection_full`)).json().encrypted_connection_full
    expect(await decryptBlock(key, conn, { tenantId: owner.tenantId, kind: 'connection_full', subjectId: planB })).toEqual(PLAN_B_CONN)
  })

  test("a block the server moves to another miner no longer decrypts", async () => {
    const keyring = (await call('GET', '/api/keyring')).json().keyring
    const { unlockKeyring } = await import('../e2ee/mod.ts')
    const key = await unlockKeyring(keyring, PASSPHRASE, owner.tenantId)
    const creds = (await call('GET', `/api/miners/${planA}/credentials`)).json().encrypted_credentials
    await expect(decryptBlock(key, creds, { tenantId: owner.tenantId, kind: 'credentials', subjectId: planAv1 })).rejects.toThrow(/Cannot decrypt/)
  })
})
