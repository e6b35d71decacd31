/**
 * Every malformed request gets a 400 with a message that says what is wrong, and
 * changes nothing: the whole database is compared before and after.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { sealAudit } from '../lib/audit.ts'
import { fakeBlockV1, fakeBlockV2, fakeKeyring, startTestApi, type Session, type TestApi } from '../../../tests/support/api.ts'

let api: TestApi
let owner: Session
let siteId: string
let minerId: string
let kid: string

const v1 = (patch: Record<string, unknown> = {}) => ({ ...fakeBlockV1(), ...patch })
const v2 = (patch: Record<string, unknown> = {}) => ({ ...fakeBlockV2(kid, 9), ...patch })
const without = (o: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key))
const b64 = (n: number) => Buffer.alloc(n, 7).toString('base64')

type Case = [name: string, url: () => string, body: unknown, method?: 'POST' | 'PUT', contentType?: string]
const creds = () => `/api/miners/${minerId}/credentials`
const full = () => `/api/miners/${minerId}/connection_full`

const cases: Case[] = [
  ['credentials: empty body object', creds, {}],
  ['credentials: block is null', creds, { encrypted_credentials: null }],
  ['credentials: block is a string', creds, { encrypted_credentials: 'c2VjcmV0' }],
  ['credentials: body is an array', creds, [v1()]],
  ['credentials: ciphertext missing', creds, { encrypted_credentials: without(v1(), 'ciphertext') }],
  ['credentials: iv missing', creds, { encrypted_credentials: without(v1(), 'iv') }],
  ['credentials: v1 salt missing', creds, { encrypted_credentials: without(v1(), 'salt') }],
  ['credentials: algo AES-128-GCM', creds, { encrypted_credentials: v1({ algo: 'AES-128-GCM' }) }],
  ['credentials: algo in lower case', creds, { encrypted_credentials: v1({ algo: 'aes-256-gcm' }) }],
  ['credentials: version 3', creds, { encrypted_credentials: v1({ version: 3 }) }],
  ['credentials: version as a string', creds, { encrypted_credentials: v1({ version: '1' }) }],
  ['credentials: iv of 11 bytes', creds, { encrypted_credentials: v1({ iv: b64(11) }) }],
  ['credentials: iv of 13 bytes', creds, { encrypted_credentials: v1({ iv: b64(13) }) }],
  ['credentials: iv not base64', creds, { encrypted_credentials: v1({ iv: '!!!!!!!!!!!!!!!!' }) }],
  ['credentials: salt of 15 bytes', creds, { encrypted_credentials: v1({ salt: b64(15) }) }],
  ['credentials: salt of 17 bytes', creds, { encrypted_credentials: v1({ salt: b64(17) }) }],
  ['credentials: ciphertext shorter than a tag', creds, { encrypted_credentials: v1({ ciphertext: b64(15) }) }],
  ['credentials: ciphertext empty', creds, { encrypted_credentials: v1({ ciphertext: '' }) }],
  ['credentials: ciphertext not base64', creds, { encrypted_credentials: v1({ ciphertext: 'not base64 at all, clearly!!' }) }],
  ['credentials: ciphertext over the size bound', creds, { encrypted_credentials: v1({ ciphertext: b64(60_000) }) }],
  ['credentials: unknown key in the block', creds, { encrypted_credentials: v1({ note: 'x' }) }],
  ['credentials: unknown key beside the block', creds, { encrypted_credentials: v1(), note: 'x' }],
  ['credentials: plaintext password beside the block', creds, { encrypted_credentials: v1(), password: 'hunter2' }],
  ['credentials: plaintext username inside the block', creds, { encrypted_credentials: v1({ username: 'root' }) }],
  ['credentials: plaintext pool_password', creds, { pool_password: 'x' }],
  ['credentials: plaintext ip_address', creds, { encrypted_credentials: v1(), ip_address: '10.0.0.1' }],
  ['credentials: v2 without kid', creds, { encrypted_credentials: without(v2(), 'kid') }],
  ['credentials: v2 without counter', creds, { encrypted_credentials: without(v2(), 'counter') }],
  ['credentials: v2 counter 0', creds, { encrypted_credentials: v2({ counter: 0 }) }],
  ['credentials: v2 counter negative', creds, { encrypted_credentials: v2({ counter: -1 }) }],
  ['credentials: v2 counter fractional', creds, { encrypted_credentials: v2({ counter: 1.5 }) }],
  ['credentials: v2 counter as a string', creds, { encrypted_credentials: v2({ counter: '10' }) }],
  ['credentials: v2 kid of the wrong length', creds, { encrypted_credentials: v2({ kid: 'short' }) }],
  ['credentials: v2 with a salt', creds, { encrypted_credentials: v2({ salt: b64(16) }) }],
  ['credentials: v1 with a counter', creds, { encrypted_credentials: v1({ counter: 2 }) }],
  ['credentials: truncated JSON', creds, '{"encrypted_credentials":', 'POST', 'application/json'],
  ['credentials: not JSON at all', creds, 'encrypted_credentials=abc', 'POST', 'application/json'],
  ['connection_full: use_full_e2ee missing', full, { encrypted_connection_full: v1() }],
  ['connection_full: use_full_e2ee as a string', full, { use_full_e2ee: 'true', encrypted_connection_full: v1() }],
  ['connection_full: enabling without a block', full, { use_full_e2ee: true }],
  ['connection_full: enabling with a null block', full, { use_full_e2ee: true, encrypted_connection_full: null }],
  ['connection_full: enabling with a plaintext address', full, { use_full_e2ee: true, encrypted_connection_full: v1(), ip_address: '10.0.0.1' }],
  ['connection_full: enabling with a plaintext port', full, { use_full_e2ee: true, encrypted_connection_full: v1(), port: 4028 }],
  ['connection_full: disabling with a password', full, { use_full_e2ee: false, ip_address: '10.0.0.1', password: 'x' }],
  ['connection_full: disabling with an invalid address', full, { use_full_e2ee: false, ip_address: 'not an address!' }],
  ['connection_full: disabling with port 70000', full, { use_full_e2ee: false, ip_address: '10.0.0.1', port: 70_000 }],
  ['connection_full: disabling while sending a block', full, { use_full_e2ee: false, ip_address: '10.0.0.1', encrypted_connection_full: v1() }],
  ['miner id not a uuid', () => '/api/miners/123/credentials', { encrypted_credentials: v1() }],
  ['site: empty name', () => '/api/sites', { name: '' }],
  ['site: name of spaces only', () => '/api/sites', { name: '   ' }],
  ['site: name with a control character', () => '/api/sites', { name: 'bad\u0000name' }],
  ['miner: name missing', () => `/api/sites/${siteId}/miners`, { ip_address: '10.0.0.1' }],
  ['miner: port 0', () => `/api/sites/${siteId}/miners`, { name: 'm', ip_address: '10.0.0.1', port: 0 }],
  ['miner: port as a string', () => `/api/sites/${siteId}/miners`, { name: 'm', ip_address: '10.0.0.1', port: '4028' }],
  ['miner: unknown field', () => `/api/sites/${siteId}/miners`, { name: 'm', ip_address: '10.0.0.1', password: 'x' }],
  ['keyring: KDF below the floor', () => '/api/keyring', { keyring: fakeKeyring(undefined, 1000), base_revision: 1 }, 'PUT'],
  ['keyring: KDF other than PBKDF2', () => '/api/keyring', { keyring: { ...fakeKeyring(), kdf: { name: 'scrypt', hash: 'SHA-256', iterations: 600_000, salt: b64(16) } } }, 'PUT'],
  ['keyring: wrapped key with a bad iv', () => '/api/keyring', { keyring: { ...fakeKeyring(), wrapped_key: { ciphertext: b64(48), iv: b64(8) } } }, 'PUT'],
  ['register: email missing', () => '/api/auth/register', { password: 'long enough password', tenantName: 'x' }],
  ['register: not an email', () => '/api/auth/register', { email: 'not-an-email', password: 'long enough password', tenantName: 'x' }],
  ['login: unknown field', () => '/api/auth/login', { email: 'a@example.com', password: 'x', remember: true }],
]

// Every row of every table of ours, to prove a refused request changed nothing.
// Pending audit events are sealed first, so the background sealer cannot change it.
async function snapshot(): Promise<string> {
  await sealAudit(api.app.knex, true)
  const tables = ['tenants', 'users', 'memberships', 'sites', 'hosting_miners', 'keyrings', 'audit_events']
  const out: Record<string, unknown> = {}
  for (const t of tables) out[t] = await api.app.knex(t).select('*').orderByRaw('1')
  return JSON.stringify(out)
}

beforeAll(async () => {
  api = await startTestApi()
  owner = await api.register()
  siteId = (await api.app.inject({ method: 'POST', url: '/api/sites', headers: owner.headers, payload: { name: 'S' } })).json().id
  minerId = (await api.app.inject({ method: 'POST', url: `/api/sites/${siteId}/miners`, headers: owner.headers, payload: { name: 'm', ip_address: '10.0.0.2' } })).json().id
  const keyring = fakeKeyring()
  kid = keyring.kid
  await api.app.inject({ method: 'PUT', url: '/api/keyring', headers: owner.headers, payload: { keyring } })
  await api.app.inject({ method: 'POST', url: creds(), headers: owner.headers, payload: { encrypted_credentials: fakeBlockV2(kid, 3) } })
})
afterAll(() => api.close())

describe('malformed bodies', () => {
  test('there are at least 40 of them', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40)
  })

  test.each(cases)('%s → 400 with a clear message, nothing changed', async (_name, url, body, method = 'POST', contentType) => {
    const before = await snapshot()
    const res = await api.app.inject({
      method,
      url: url(),
      headers: { ...owner.headers, ...(contentType ? { 'content-type': contentType } : {}) },
      ...(typeof body === 'string' ? { body } : { payload: body as object }),
    })
    expect(res.statusCode, res.body).toBe(400)
    const error = res.json()
    expect(error).toMatchObject({ statusCode: 400, error: 'Bad Request' })
    expect(error.message.length).toBeGreaterThan(10)
    // A refused secret is not echoed back.
    expect(res.body).not.toContain('hunter2')
    expect(await snapshot()).toBe(before)
  })
})
