/**
 * Revocation with key rotation, end to end through the API, with the owner's device
 * played by e2ee/: revoke a device, rotate the data key (interrupted half-way and
 * resumed elsewhere), re-grant the remaining device. No block is lost or left under
 * the old kid, and the revoked device's key opens nothing written afterwards.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  createDeviceKeyPair, createKeyring, decryptBlock, encryptBlock, encryptObject, grantDataKey, openDeviceGrant, unlockKeyring,
  type BlockKind, type DataKey, type DeviceKeyPair,
} from '../../../e2ee/mod.ts'
import { startTestApi, type Session, type TestApi } from '../../../tests/support/api.ts'

const PASSPHRASE = 'rotation test passphrase 19'
let api: TestApi
let owner: Session
let admin: Session
let siteId: string
const miners: { planA: string[]; planB: string; legacy: string } = { planA: [], planB: '', legacy: '' }
let poolKeyId: string
let k1: DataKey
const devices: { id: string; token: string; pair: DeviceKeyPair }[] = []

const req = (s: Session, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  api.app.inject({ method, url, headers: s.headers, ...(payload ? { payload } : {}) })
const edge = (token: string, url: string) => api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })
const ctx = (kind: BlockKind, subjectId: string) => ({ tenantId: owner.tenantId, kind, subjectId })
async function fourEyes(body: object): Promise<Record<string, string>> {
  const filed = await req(owner, 'POST', '/api/changes', { reason: 'device stolen', ...body })
  expect(filed.statusCode).toBe(201)
  expect((await req(admin, 'POST', `/api/changes/${filed.json().id}/approve`)).statusCode).toBe(200)
  const done = await req(owner, 'POST', `/api/changes/${filed.json().id}/execute`, {})
  expect(done.json().status).toBe('EXECUTED')
  return done.json()
}

/** Every v2 block of the tenant, with where it belongs. */
async function v2Blocks(): Promise<{ kind: BlockKind; subject: string; block: { kid: string; counter: number } }[]> {
  const out = []
  for (const m of await api.app.knex('hosting_miners').where({ tenant_id: owner.tenantId })) {
    if (m.encrypted_credentials?.version === 2) out.push({ kind: 'credentials' as const, subject: m.id, block: m.encrypted_credentials })
    if (m.encrypted_connection_full?.version === 2) out.push({ kind: 'connection_full' as const, subject: m.id, block: m.encrypted_connection_full })
  }
  for (const k of await api.app.knex('secret_blocks').where({ tenant_id: owner.tenantId })) out.push({ kind: 'pool_api_key' as const, subject: k.id, block: k.block })
  return out
}

/** What the owner's device does for one block left under the old kid. */
async function reencrypt(oldKey: DataKey, newKey: DataKey, kind: BlockKind, subject: string): Promise<void> {
  const all = await v2Blocks()
  const { block } = all.find((b) => b.kind === kind && b.subject === subject)!
  const plain = await decryptBlock(oldKey, block, ctx(kind, subject))
  const next = await encryptBlock(newKey, plain, { ...ctx(kind, subject), counter: block.counter + 1 })
  const res = kind === 'credentials'
    ? await req(owner, 'POST', `/api/miners/${subject}/credentials`, { encrypted_credentials: next })
    : kind === 'connection_full'
      ? await req(owner, 'POST', `/api/miners/${subject}/connection_full`, { use_full_e2ee: true, encrypted_connection_full: next })
      : await req(owner, 'POST', `/api/pool-keys/${subject}/rotate`, { fingerprint: 'fp-pool-0001', block: next })
  expect(res.statusCode, res.body).toBe(200)
}

beforeAll(async () => {
  api = await startTestApi()
  owner = await api.register()
  admin = await api.addMember(owner, 'admin')
  siteId = (await req(owner, 'POST', '/api/sites', { name: 'Farm' })).json().id
  const created = await createKeyring(PASSPHRASE, owner.tenantId, { grantable: true })
  k1 = created.key
  await req(owner, 'PUT', '/api/keyring', { keyring: created.wrapped })
  const add = async (name: string) => (await req(owner, 'POST', `/api/sites/${siteId}/miners`, { name, ip_address: '10.0.0.1' })).json().id as string
  for (const n of [1, 2]) {
    const id = await add(`a${n}`)
    miners.planA.push(id)
    await req(owner, 'POST', `/api/miners/${id}/credentials`, { encrypted_credentials: await encryptBlock(k1, { password: `pw-${n}` }, { ...ctx('credentials', id), counter: 1 }) })
  }
  miners.planB = await add('b')
  await req(owner, 'POST', `/api/miners/${miners.planB}/connection_full`, { use_full_e2ee: true, encrypted_connection_full: await encryptBlock(k1, { ip_address: '10.0.0.2', password: 'pw-b' }, { ...ctx('connection_full', miners.planB), counter: 1 }) })
  miners.legacy = await add('legacy')
  await req(owner, 'POST', `/api/miners/${miners.legacy}/credentials`, { encrypted_credentials: await encryptObject({ password: 'pw-v1' }, PASSPHRASE) })
  poolKeyId = randomUUID()
  await req(owner, 'POST', '/api/pool-keys', { id: poolKeyId, label: 'Pool', pool: 'Pool', scopes: ['read'], fingerprint: 'fp-pool-0001', block: await encryptBlock(k1, { api_key: 'k', api_secret: 's' }, { ...ctx('pool_api_key', poolKeyId), counter: 1 }) })
  for (const name of ['stolen', 'kept']) {
    const pair = await createDeviceKeyPair()
    const code = (await req(owner, 'POST', `/api/sites/${siteId}/devices`, { name })).json().enrollment_code
    const enrolled = (await api.app.inject({ method: 'POST', url: '/api/edge/enroll', payload: { code, public_key: pair.publicKey } })).json()
    const grant = await grantDataKey(k1, pair.publicKey, { tenantId: owner.tenantId, deviceId: enrolled.device_id })
    expect((await req(owner, 'PUT', `/api/devices/${enrolled.device_id}/grant`, { grant })).statusCode).toBe(200)
    devices.push({ id: enrolled.device_id, token: enrolled.token, pair })
  }
}, 60_000)
afterAll(() => api.close())

describe('revocation with key rotation', () => {
  test('revoke, rotate (interrupted and resumed), re-grant: nothing lost, nothing left under the old kid, the revoked key opens nothing new', async () => {
    const [stolen, kept] = devices as [typeof devices[0], typeof devices[0]]
    const stolenKey = await openDeviceGrant((await edge(stolen.token, '/api/edge/grant')).json().grant, stolen.pair.privateKey, { tenantId: owner.tenantId, deviceId: stolen.id })
    const before = await v2Blocks()
    expect(before).toHaveLength(4)

    await fourEyes({ request_type: 'DEVICE_REVOKE', target_type: 'device', target_id: stolen.id })
    expect((await edge(stolen.token, '/api/edge/miners')).statusCode).toBe(401)
    const { rotation_id } = await fourEyes({ request_type: 'BATCH_REENCRYPT', target_type: 'tenant', target_id: owner.tenantId })

    // The owner's device makes the new data key and starts the rotation.
    const next = await createKeyring(PASSPHRASE, owner.tenantId, { grantable: true })
    const revision = (await req(owner, 'GET', '/api/keyring')).json().revision
    const started = await req(owner, 'POST', `/api/keyring/rotation/${rotation_id}/start`, { keyring: next.wrapped, base_revision: revision })
    expect(started.json()).toMatchObject({ status: 'IN_PROGRESS', old_kid: k1.kid, new_kid: next.key.kid, blocks_total: 4, blocks_done: 0 })
    // From now on a block under the old kid is refused: nothing new is written under it.
    const late = await encryptBlock(k1, { password: 'late' }, { ...ctx('credentials', miners.planA[0]!), counter: 5 })
    expect((await req(owner, 'POST', `/api/miners/${miners.planA[0]}/credentials`, { encrypted_credentials: late })).statusCode).toBe(409)

    // Re-grant the remaining device, then re-encrypt two blocks and "crash".
    const newGrant = await grantDataKey(next.key, kept.pair.publicKey, { tenantId: owner.tenantId, deviceId: kept.id })
    expect((await req(owner, 'PUT', `/api/devices/${kept.id}/grant`, { grant: newGrant })).statusCode).toBe(200)
    await reencrypt(k1, next.key, 'credentials', miners.planA[0]!)
    await reencrypt(k1, next.key, 'connection_full', miners.planB)
    const early = await req(owner, 'POST', `/api/keyring/rotation/${rotation_id}/complete`)
    expect(early.statusCode).toBe(409)
    expect(early.json().message).toMatch(/2 block\(s\) are still under the old keyring/)

    // Another session resumes: both keys from what the server holds, and the list of what is left.
    const state = (await req(owner, 'GET', '/api/keyring/rotation')).json()
    expect(state.rotation).toMatchObject({ blocks_total: 4, blocks_done: 2 })
    expect(state.remaining).toEqual({ miners: [{ id: miners.planA[1], kinds: ['credentials'] }], pool_keys: [poolKeyId], count: 2 })
    const oldKey = await unlockKeyring(state.rotation.old_keyring, PASSPHRASE, owner.tenantId)
    const newKey = await unlockKeyring((await req(owner, 'GET', '/api/keyring')).json().keyring, PASSPHRASE, owner.tenantId)
    for (const m of state.remaining.miners) for (const kind of m.kinds) await reencrypt(oldKey, newKey, kind, m.id)
    for (const id of state.remaining.pool_keys) await reencrypt(oldKey, newKey, 'pool_api_key', id)
    const done = await req(owner, 'POST', `/api/keyring/rotation/${rotation_id}/complete`)
    expect(done.json()).toMatchObject({ status: 'COMPLETED', blocks_done: 4, old_keyring: null })

    const after = await v2Blocks()
    expect(after.map((b) => [b.kind, b.subject]).sort()).toEqual(before.map((b) => [b.kind, b.subject]).sort())
    expect(after.filter((b) => b.block.kid !== newKey.kid)).toEqual([])
    for (const b of after) await expect(decryptBlock(newKey, b.block, ctx(b.kind, b.subject))).resolves.toBeTruthy()
    for (const b of after) await expect(decryptBlock(stolenKey, b.block, ctx(b.kind, b.subject))).rejects.toThrow(/Cannot decrypt/)
    expect((await api.app.knex('hosting_miners').where({ id: miners.legacy }).first()).encrypted_credentials.version).toBe(1)

    // The remaining device reads everything with its new grant, and no passphrase.
    const keptKey = await openDeviceGrant((await edge(kept.token, '/api/edge/grant')).json().grant, kept.pair.privateKey, { tenantId: owner.tenantId, deviceId: kept.id })
    const listed = (await edge(kept.token, '/api/edge/miners')).json().miners
    const planA1 = listed.find((m: { id: string }) => m.id === miners.planA[1])
    expect(await decryptBlock(keptKey, planA1.encrypted_credentials, ctx('credentials', miners.planA[1]!))).toEqual({ password: 'pw-2' })

    expect((await req(owner, 'GET', '/api/audit/verify')).json().ok).toBe(true)
    const trail = await api.app.knex('audit_events').where({ tenant_id: owner.tenantId }).whereIn('action', ['keyring.rotation.authorise', 'keyring.rotation.start', 'keyring.rotation.complete']).orderBy('id').pluck('action')
    expect(trail).toEqual(['keyring.rotation.authorise', 'keyring.rotation.start', 'keyring.rotation.complete'])
  }, 60_000)

  test('a rotation cannot start without an executed BATCH_REENCRYPT, twice, or by an operator', async () => {
    const operator = await api.addMember(owner, 'operator')
    expect((await req(operator, 'GET', '/api/keyring/rotation')).statusCode).toBe(403)
    expect((await req(owner, 'POST', `/api/keyring/rotation/${randomUUID()}/start`, { keyring: (await createKeyring(PASSPHRASE, owner.tenantId)).wrapped, base_revision: 1 })).statusCode).toBe(404)
    const completed = await api.app.knex('key_rotations').where({ tenant_id: owner.tenantId }).first('id')
    const again = await req(owner, 'POST', `/api/keyring/rotation/${completed.id}/start`, { keyring: (await createKeyring(PASSPHRASE, owner.tenantId)).wrapped, base_revision: 1 })
    expect(again.statusCode).toBe(409)
    expect((await req(owner, 'GET', '/api/keyring/rotation')).json()).toEqual({ rotation: null, remaining: null })
  }, 30_000)
})
