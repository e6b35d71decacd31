/** Edge device key grants through the API: the server stores public keys and grants only. */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  ContextMismatchError, createDeviceKeyPair, createKeyring, decryptBlock, deviceFingerprint, encryptBlock, grantDataKey, openDeviceGrant,
  type DataKey,
} from '../../../e2ee/mod.ts'
import vectors from '../../../e2ee/vectors/device_grant.json' with { type: 'json' }
import { startTestApi, type Session, type TestApi } from '../../../tests/support/api.ts'

let api: TestApi
let owner: Session
let admin: Session
let siteId: string
let minerId: string
let key: DataKey
const PASSPHRASE = 'grant-test passphrase 42'
const CREDS = { username: 'root', password: 'grant-test-miner-pw-7781' }

const req = (s: Session, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  api.app.inject({ method, url, headers: s.headers, ...(payload ? { payload } : {}) })
const edge = (token: string, url: string) => api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })

async function enrol(publicKey?: object): Promise<{ id: string; token: string; fingerprint?: string }> {
  const code = (await req(owner, 'POST', `/api/sites/${siteId}/devices`, { name: `rig-${randomUUID().slice(0, 6)}` })).json().enrollment_code
  const res = await api.app.inject({ method: 'POST', url: '/api/edge/enroll', payload: { code, ...(publicKey ? { public_key: publicKey } : {}) } })
  expect(res.statusCode).toBe(200)
  return { id: res.json().device_id, token: res.json().token, fingerprint: res.json().fingerprint }
}
const listed = async (id: string) => (await req(owner, 'GET', `/api/sites/${siteId}/devices`)).json().devices.find((d: { id: string }) => d.id === id)

beforeAll(async () => {
  api = await startTestApi()
  owner = await api.register()
  admin = await api.addMember(owner, 'admin')
  siteId = (await req(owner, 'POST', '/api/sites', { name: 'Farm' })).json().id
  const created = await createKeyring(PASSPHRASE, owner.tenantId, { grantable: true })
  key = created.key
  expect((await req(owner, 'PUT', '/api/keyring', { keyring: created.wrapped })).statusCode).toBe(200)
  minerId = (await req(owner, 'POST', `/api/sites/${siteId}/miners`, { name: 'm1', ip_address: '10.0.0.1' })).json().id
  const block = await encryptBlock(key, CREDS, { tenantId: owner.tenantId, kind: 'credentials', subjectId: minerId, counter: 1 })
  expect((await req(owner, 'POST', `/api/miners/${minerId}/credentials`, { encrypted_credentials: block })).statusCode).toBe(200)
}, 60_000)
afterAll(() => api.close())

describe('POST /api/edge/enroll with a public key', () => {
  test("returns the key's fingerprint, the same one e2ee computes, and lists the key", async () => {
    const v = vectors.grants[0]!
    const d = await enrol(v.device_public_key)
    expect(d.fingerprint).toBe(v.fingerprint)
    expect(await listed(d.id)).toMatchObject({ public_key: v.device_public_key, fingerprint: v.fingerprint, granted_kid: null })
  })

  test('a malformed key is refused and leaves the code unused', async () => {
    const code = (await req(owner, 'POST', `/api/sites/${siteId}/devices`, { name: 'bad-key' })).json().enrollment_code
    const bad = await api.app.inject({ method: 'POST', url: '/api/edge/enroll', payload: { code, public_key: { kty: 'EC', crv: 'P-384', x: 'a', y: 'b' } } })
    expect(bad.statusCode).toBe(400)
    const withPrivate = await api.app.inject({ method: 'POST', url: '/api/edge/enroll', payload: { code, public_key: { ...vectors.grants[0]!.device_private_key } } })
    expect(withPrivate.statusCode).toBe(400)
    expect((await api.app.inject({ method: 'POST', url: '/api/edge/enroll', payload: { code } })).statusCode).toBe(200)
  })
})

describe('PUT /api/devices/:id/grant and GET /api/edge/grant', () => {
  test('round trip: compare fingerprints, grant, and the device decrypts its miners without a passphrase', async () => {
    const pair = await createDeviceKeyPair()
    const d = await enrol(pair.publicKey)
    const shown = await listed(d.id)
    // The owner's device recomputes the fingerprint from the key the server serves.
    expect(await deviceFingerprint(shown.public_key)).toBe(await deviceFingerprint(pair.publicKey))
    const grant = await grantDataKey(key, shown.public_key, { tenantId: owner.tenantId, deviceId: d.id })
    const put = await req(owner, 'PUT', `/api/devices/${d.id}/grant`, { grant })
    expect(put.statusCode).toBe(200)
    expect(put.json()).toMatchObject({ granted_kid: key.kid })
    const fetched = (await edge(d.token, '/api/edge/grant')).json()
    expect(fetched).toEqual({ device_id: d.id, tenant_id: owner.tenantId, grant })
    const deviceKey = await openDeviceGrant(fetched.grant, pair.privateKey, { tenantId: owner.tenantId, deviceId: d.id })
    const miner = (await edge(d.token, '/api/edge/miners')).json().miners[0]
    expect(await decryptBlock(deviceKey, miner.encrypted_credentials, { tenantId: owner.tenantId, kind: 'credentials', subjectId: minerId })).toEqual(CREDS)
    const events = await api.app.knex('audit_events').where({ target_id: d.id, action: 'device.grant' })
    expect(events).toHaveLength(1)
    expect(JSON.stringify(events)).not.toContain(grant.ciphertext)
  })

  test('a device without a grant gets null', async () => {
    const d = await enrol((await createDeviceKeyPair()).publicKey)
    expect((await edge(d.token, '/api/edge/grant')).json().grant).toBeNull()
  })

  test.each([
    ['an operator', 'operator', 403],
    ['a viewer', 'viewer', 403],
  ] as const)('%s cannot grant', async (_name, role, status) => {
    const d = await enrol((await createDeviceKeyPair()).publicKey)
    const member = await api.addMember(owner, role)
    const grant = await grantDataKey(key, (await listed(d.id)).public_key, { tenantId: owner.tenantId, deviceId: d.id })
    expect((await req(member, 'PUT', `/api/devices/${d.id}/grant`, { grant })).statusCode).toBe(status)
    expect((await listed(d.id)).granted_kid).toBeNull()
  })

  test('refuses a grant for another keyring, a device without a key, a malformed grant, and another tenant', async () => {
    const d = await enrol((await createDeviceKeyPair()).publicKey)
    const good = await grantDataKey(key, (await listed(d.id)).public_key, { tenantId: owner.tenantId, deviceId: d.id })
    const otherKid = await req(owner, 'PUT', `/api/devices/${d.id}/grant`, { grant: { ...good, kid: 'AAAAAAAAAAAAAAAAAAAAAA' } })
    expect(otherKid.statusCode).toBe(409)
    expect(otherKid.json().message).toMatch(/current one/)
    const keyless = await enrol()
    expect((await req(owner, 'PUT', `/api/devices/${keyless.id}/grant`, { grant: good })).statusCode).toBe(409)
    expect((await req(owner, 'PUT', `/api/devices/${d.id}/grant`, { grant: { ...good, iv: 'x' } })).statusCode).toBe(400)
    expect((await req(owner, 'PUT', `/api/devices/${d.id}/grant`, { grant: { ...good, d: 'private' } })).statusCode).toBe(400)
    const stranger = await api.register()
    expect((await req(stranger, 'PUT', `/api/devices/${d.id}/grant`, { grant: good })).statusCode).toBe(404)
    expect((await listed(d.id)).granted_kid).toBeNull()
  })
})

describe('revocation', () => {
  test('a revoked device loses its token and grant at once, and cannot read blocks under the next key', async () => {
    const pair = await createDeviceKeyPair()
    const d = await enrol(pair.publicKey)
    const grant = await grantDataKey(key, pair.publicKey, { tenantId: owner.tenantId, deviceId: d.id })
    await req(owner, 'PUT', `/api/devices/${d.id}/grant`, { grant })
    const oldKey = await openDeviceGrant(grant, pair.privateKey, { tenantId: owner.tenantId, deviceId: d.id })
    const change = (await req(owner, 'POST', '/api/changes', { request_type: 'DEVICE_REVOKE', target_type: 'device', target_id: d.id, reason: 'stolen' })).json()
    await req(admin, 'POST', `/api/changes/${change.id}/approve`)
    expect((await req(owner, 'POST', `/api/changes/${change.id}/execute`, {})).json().status).toBe('EXECUTED')
    expect((await edge(d.token, '/api/edge/grant')).statusCode).toBe(401)
    expect((await edge(d.token, '/api/edge/miners')).statusCode).toBe(401)
    expect((await api.app.knex('edge_devices').where({ id: d.id }).first()).key_grant).toBeNull()
    // What the PWA does next: a new data key; blocks written under it are out of the old grant's reach.
    const next = await createKeyring(PASSPHRASE, owner.tenantId, { grantable: true, iterations: 600_000 })
    const later = await encryptBlock(next.key, CREDS, { tenantId: owner.tenantId, kind: 'credentials', subjectId: minerId, counter: 2 })
    await expect(decryptBlock(oldKey, later, { tenantId: owner.tenantId, kind: 'credentials', subjectId: minerId })).rejects.toBeInstanceOf(ContextMismatchError)
    await expect(decryptBlock(oldKey, { ...later, kid: oldKey.kid }, { tenantId: owner.tenantId, kind: 'credentials', subjectId: minerId })).rejects.toThrow(/Cannot decrypt/)
  }, 30_000)
})
