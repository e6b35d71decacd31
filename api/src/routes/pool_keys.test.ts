/** Pool API keys as encrypted blocks: stored, rotated with history, read by the edge, never in plaintext. */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDeviceKeyPair, createKeyring, decryptBlock, encryptBlock, grantDataKey, openDeviceGrant, type DataKey } from '../../../e2ee/mod.ts'
import { fakeBlockV1, fakeBlockV2, startTestApi, type Session, type TestApi } from '../../../tests/support/api.ts'

let api: TestApi
let owner: Session
let key: DataKey
let siteId: string
const SECRET = { api_key: 'pool-api-key-UNIQUE-5512', api_secret: 'pool-api-secret-UNIQUE-9931' }
const ROTATED = { api_key: 'pool-api-key-ROTATED-7720', api_secret: 'pool-api-secret-ROTATED-1184' }

const req = (s: Session, method: 'GET' | 'POST', url: string, payload?: object) =>
  api.app.inject({ method, url, headers: s.headers, ...(payload ? { payload } : {}) })
const seal = (value: object, id: string, counter: number) => encryptBlock(key, value, { tenantId: owner.tenantId, kind: 'pool_api_key', subjectId: id, counter })
const create = async (s: Session, patch: object = {}) => {
  const id = randomUUID()
  return { id, res: await req(s, 'POST', '/api/pool-keys', { id, label: 'Foundry payouts', pool: 'Foundry USA', scopes: ['read', 'payouts:read'], fingerprint: 'fp-1111-2222', block: await seal(SECRET, id, 1), ...patch }) }
}

beforeAll(async () => {
  api = await startTestApi()
  owner = await api.register()
  siteId = (await req(owner, 'POST', '/api/sites', { name: 'S' })).json().id
  const created = await createKeyring('pool-key test passphrase', owner.tenantId, { grantable: true })
  key = created.key
  await api.app.inject({ method: 'PUT', url: '/api/keyring', headers: owner.headers, payload: { keyring: created.wrapped } })
}, 60_000)
afterAll(() => api.close())

describe('POST /api/pool-keys', () => {
  test('stores label, pool, scopes and fingerprint in clear and the key only as a pool_api_key block', async () => {
    const { id, res } = await create(owner)
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({ id, label: 'Foundry payouts', pool: 'Foundry USA', scopes: ['read', 'payouts:read'], fingerprint: 'fp-1111-2222', version: 1 })
    const listed = (await req(owner, 'GET', '/api/pool-keys')).json().pool_keys.find((k: { id: string }) => k.id === id)
    expect(await decryptBlock(key, listed.block, { tenantId: owner.tenantId, kind: 'pool_api_key', subjectId: id })).toEqual(SECRET)
    // The AAD binds the kind: the same block does not open as a miner's credentials.
    await expect(decryptBlock(key, listed.block, { tenantId: owner.tenantId, kind: 'credentials', subjectId: id })).rejects.toThrow(/Cannot decrypt/)
  })

  test.each([
    ['a plaintext key field', { api_key: 'x' }, 400],
    ['a plaintext secret field', { secret: 'x' }, 400],
    ['a v1 block (no AAD, so no kind binding)', { block: fakeBlockV1() }, 400],
    ['a block under another keyring', { block: fakeBlockV2('AAAAAAAAAAAAAAAAAAAAAA', 1) }, 409],
    ['a bad scope', { scopes: ['Read All'] }, 400],
  ])('refuses %s and stores nothing', async (_name, patch, status) => {
    const before = await api.app.knex('secret_blocks').count({ n: '*' }).first()
    const { res } = await create(owner, patch)
    expect(res.statusCode).toBe(status)
    expect(await api.app.knex('secret_blocks').count({ n: '*' }).first()).toEqual(before)
  })

  test('roles: operators read, only admins and owners write; site-limited members neither', async () => {
    const operator = await api.addMember(owner, 'operator')
    const viewer = await api.addMember(owner, 'viewer')
    const limited = await api.addMember(owner, 'admin', [siteId])
    expect((await create(operator)).res.statusCode).toBe(403)
    expect((await create(limited)).res.statusCode).toBe(403)
    expect((await create(await api.addMember(owner, 'admin'))).res.statusCode).toBe(201)
    expect((await req(operator, 'GET', '/api/pool-keys')).statusCode).toBe(200)
    expect((await req(viewer, 'GET', '/api/pool-keys')).statusCode).toBe(403)
    expect((await req(limited, 'GET', '/api/pool-keys')).statusCode).toBe(403)
    const stranger = await api.register()
    expect((await req(stranger, 'GET', '/api/pool-keys')).json().pool_keys).toEqual([])
  })
})

describe('POST /api/pool-keys/:id/rotate', () => {
  test('keeps the old version encrypted in the history and needs a higher counter', async () => {
    const { id } = await create(owner)
    const stale = await req(owner, 'POST', `/api/pool-keys/${id}/rotate`, { fingerprint: 'fp-3333-4444', block: await seal(ROTATED, id, 1) })
    expect(stale.statusCode).toBe(409)
    const res = await req(owner, 'POST', `/api/pool-keys/${id}/rotate`, { fingerprint: 'fp-3333-4444', block: await seal(ROTATED, id, 2), base_version: 1 })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ version: 2, fingerprint: 'fp-3333-4444' })
    const one = (await req(owner, 'GET', `/api/pool-keys/${id}`)).json()
    expect(one.history.map((h: { version: number; fingerprint: string }) => [h.version, h.fingerprint])).toEqual([[1, 'fp-1111-2222']])
    expect(await decryptBlock(key, one.history[0].block, { tenantId: owner.tenantId, kind: 'pool_api_key', subjectId: id })).toEqual(SECRET)
    expect(await decryptBlock(key, one.block, { tenantId: owner.tenantId, kind: 'pool_api_key', subjectId: id })).toEqual(ROTATED)
    expect((await req(owner, 'POST', `/api/pool-keys/${id}/rotate`, { fingerprint: 'fp-5', block: await seal(ROTATED, id, 3), base_version: 1 })).statusCode).toBe(400)
    expect((await req(owner, 'POST', `/api/pool-keys/${id}/rotate`, { fingerprint: 'fp-5555-6666', block: await seal(ROTATED, id, 3), base_version: 1 })).statusCode).toBe(409)
    const actions = await api.app.knex('audit_events').where({ target_id: id }).orderBy('id').pluck('action')
    expect(actions).toEqual(['pool_key.create', 'pool_key.rotate'])
  })

  test("another tenant's pool key answers 404", async () => {
    const { id } = await create(owner)
    const stranger = await api.register()
    expect((await req(stranger, 'GET', `/api/pool-keys/${id}`)).statusCode).toBe(404)
    expect((await req(stranger, 'POST', `/api/pool-keys/${id}/rotate`, { fingerprint: 'fp-7777-8888', block: await seal(ROTATED, id, 5) })).statusCode).toBe(404)
  })
})

describe('GET /api/edge/pool-keys', () => {
  test("an enrolled device reads its tenant's pool keys and opens them with its grant", async () => {
    const { id } = await create(owner)
    const pair = await createDeviceKeyPair()
    const code = (await req(owner, 'POST', `/api/sites/${siteId}/devices`, { name: 'rig' })).json().enrollment_code
    const enrolled = (await api.app.inject({ method: 'POST', url: '/api/edge/enroll', payload: { code, public_key: pair.publicKey } })).json()
    const grant = await grantDataKey(key, pair.publicKey, { tenantId: owner.tenantId, deviceId: enrolled.device_id })
    await api.app.inject({ method: 'PUT', url: `/api/devices/${enrolled.device_id}/grant`, headers: owner.headers, payload: { grant } })
    const res = await api.app.inject({ method: 'GET', url: '/api/edge/pool-keys', headers: { authorization: `Bearer ${enrolled.token}` } })
    const found = res.json().pool_keys.find((k: { id: string }) => k.id === id)
    const deviceKey = await openDeviceGrant(grant, pair.privateKey, { tenantId: owner.tenantId, deviceId: enrolled.device_id })
    expect(await decryptBlock(deviceKey, found.block, { tenantId: owner.tenantId, kind: 'pool_api_key', subjectId: id })).toEqual(SECRET)
  })

  test('no table holds a pool key or secret in plaintext', async () => {
    const tables: string[] = await api.app.knex('information_schema.tables').where({ table_schema: 'public', table_type: 'BASE TABLE' }).pluck('table_name')
    expect(tables).toEqual(expect.arrayContaining(['secret_blocks', 'secret_block_versions']))
    let dump = ''
    for (const table of tables) dump += JSON.stringify((await api.app.knex.raw(`SELECT t::text AS row FROM ${api.app.knex.raw('??', [table]).toQuery()} t`)).rows)
    expect(dump).toContain('Foundry payouts')
    for (const secret of [...Object.values(SECRET), ...Object.values(ROTATED)]) expect(dump).not.toContain(secret)
  })
})
