import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fakeBlockV1, startTestApi, telemetrySample, type Session, type TestApi } from '../../../tests/support/api.ts'

let api: TestApi
let owner: Session
let siteA: string
let siteB: string
let minerA: string
let minerB: string

const user = (s: Session, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  api.app.inject({ method, url, headers: s.headers, ...(payload ? { payload } : {}) })
const device = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
  api.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) })

async function enrolledDevice(siteId: string): Promise<{ id: string; token: string }> {
  const created = await user(owner, 'POST', `/api/sites/${siteId}/devices`, { name: `rig-${randomUUID().slice(0, 6)}` })
  expect(created.statusCode).toBe(201)
  const enrolled = await api.app.inject({ method: 'POST', url: '/api/edge/enroll', payload: { code: created.json().enrollment_code } })
  expect(enrolled.statusCode).toBe(200)
  return { id: enrolled.json().device_id, token: enrolled.json().token }
}

const sample = (minerId: string, patch: Record<string, unknown> = {}) => telemetrySample(minerId, { chip_temps_c: [71, 74, 69], ...patch })

beforeAll(async () => {
  api = await startTestApi()
  owner = await api.register()
  siteA = (await user(owner, 'POST', '/api/sites', { name: 'A' })).json().id
  siteB = (await user(owner, 'POST', '/api/sites', { name: 'B' })).json().id
  minerA = (await user(owner, 'POST', `/api/sites/${siteA}/miners`, { name: 'a1', ip_address: '10.0.0.11' })).json().id
  minerB = (await user(owner, 'POST', `/api/sites/${siteB}/miners`, { name: 'b1', ip_address: '10.0.0.12' })).json().id
  await user(owner, 'POST', `/api/miners/${minerA}/credentials`, { encrypted_credentials: fakeBlockV1() })
})
afterAll(() => api.close())

describe('pairing: POST /api/sites/:siteId/devices and POST /api/edge/enroll', () => {
  test('a one-time code becomes a device token; the database keeps neither', async () => {
    const created = await user(owner, 'POST', `/api/sites/${siteA}/devices`, { name: 'rig 1' })
    const { enrollment_code: code, device } = created.json()
    expect(code).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}$/)
    expect(device.status).toBe('pending')
    const enrolled = await api.app.inject({ method: 'POST', url: '/api/edge/enroll', payload: { code: code.toLowerCase().replace('-', ' ') } })
    expect(enrolled.statusCode).toBe(200)
    const { token } = enrolled.json()
    expect(token).toMatch(/^hie_[A-Za-z0-9_-]{43}$/)
    const row = await api.app.knex('edge_devices').where({ id: device.id }).first()
    expect(row.status).toBe('active')
    expect(JSON.stringify(row)).not.toContain(token)
    expect(JSON.stringify(row)).not.toContain(code.replace('-', ''))
    // The code was used up.
    const again = await api.app.inject({ method: 'POST', url: '/api/edge/enroll', payload: { code } })
    expect(again.statusCode).toBe(401)
  })

  test('an expired code is refused', async () => {
    const created = await user(owner, 'POST', `/api/sites/${siteA}/devices`, { name: 'late' })
    await api.app.knex('edge_devices').where({ id: created.json().device.id }).update({ enroll_expires_at: new Date(Date.now() - 1000) })
    const res = await api.app.inject({ method: 'POST', url: '/api/edge/enroll', payload: { code: created.json().enrollment_code } })
    expect(res.statusCode).toBe(401)
    expect(res.json().message).toMatch(/expired/)
  })

  test('only owner and admin add devices', async () => {
    const operator = await api.addMember(owner, 'operator')
    expect((await user(operator, 'POST', `/api/sites/${siteA}/devices`, { name: 'x' })).statusCode).toBe(403)
  })
})

describe('RULE-5: a device sees and feeds only its own site', () => {
  test('GET /api/edge/miners lists its site\'s miners with their blocks', async () => {
    const d = await enrolledDevice(siteA)
    const res = await device(d.token, 'GET', '/api/edge/miners')
    expect(res.statusCode).toBe(200)
    expect(res.json().site_id).toBe(siteA)
    expect(res.json().miners.map((m: { id: string }) => m.id)).toEqual([minerA])
    expect(res.json().miners[0].encrypted_credentials.version).toBe(1)
  })

  test('telemetry is stored once per batch id, however often it is sent', async () => {
    const d = await enrolledDevice(siteA)
    const batch = { batch_id: randomUUID(), samples: [sample(minerA), sample(minerA, { online: false, hashrate_ths: null, error: { kind: 'timeout', message: 'Cannot poll miner: timed out after 5000 ms' } })] }
    const first = await device(d.token, 'POST', '/api/edge/telemetry', batch)
    expect(first.json()).toEqual({ batch_id: batch.batch_id, accepted: 2, duplicate: false })
    const replay = await device(d.token, 'POST', '/api/edge/telemetry', batch)
    expect(replay.json()).toEqual({ batch_id: batch.batch_id, accepted: 0, duplicate: true })
    const rows = await api.app.knex('telemetry').where({ batch_id: batch.batch_id })
    expect(rows).toHaveLength(2)
    expect(rows.find((r) => !r.online).detail.error.kind).toBe('timeout')
    expect(rows.find((r) => r.online).temp_chip_max_c).toBe(74)
  })

  test('a batch naming a miner of another site is refused whole', async () => {
    const d = await enrolledDevice(siteA)
    const batch = { batch_id: randomUUID(), samples: [sample(minerA), sample(minerB)] }
    const res = await device(d.token, 'POST', '/api/edge/telemetry', batch)
    expect(res.statusCode).toBe(403)
    expect(await api.app.knex('telemetry').where({ batch_id: batch.batch_id })).toHaveLength(0)
    expect(await api.app.knex('telemetry_batches').where({ batch_id: batch.batch_id })).toHaveLength(0)
  })

  test('an error message carrying a miner address is refused', async () => {
    const d = await enrolledDevice(siteA)
    const res = await device(d.token, 'POST', '/api/edge/telemetry', {
      batch_id: randomUUID(), samples: [sample(minerA, { online: false, error: { kind: 'refused', message: 'Cannot connect to 10.0.0.11:4028' } })],
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().message).toMatch(/contains an address/)
  })

  test('a revoked device gets 401 at once, and so do unknown tokens and user tokens', async () => {
    const d = await enrolledDevice(siteA)
    expect((await device(d.token, 'GET', '/api/edge/miners')).statusCode).toBe(200)
    // Revoking is a four-eyes change request (routes/changes.test.ts has its rules).
    const admin = await api.addMember(owner, 'admin')
    const change = (await user(owner, 'POST', '/api/changes', { request_type: 'DEVICE_REVOKE', target_type: 'device', target_id: d.id, reason: 'stolen' })).json()
    expect((await user(admin, 'POST', `/api/changes/${change.id}/approve`)).json().status).toBe('APPROVED')
    expect((await user(owner, 'POST', `/api/changes/${change.id}/execute`, {})).json().status).toBe('EXECUTED')
    expect((await device(d.token, 'GET', '/api/edge/miners')).statusCode).toBe(401)
    expect((await device(`hie_${'A'.repeat(43)}`, 'GET', '/api/edge/miners')).statusCode).toBe(401)
    expect((await device(owner.token, 'GET', '/api/edge/miners')).statusCode).toBe(401)
  })

  test('a device token does not work on user routes', async () => {
    const d = await enrolledDevice(siteA)
    expect((await device(d.token, 'GET', '/api/sites')).statusCode).toBe(401)
  })

  test('revoking a device of another tenant answers 404', async () => {
    const d = await enrolledDevice(siteA)
    const stranger = await api.register()
    expect((await user(stranger, 'POST', `/api/devices/${d.id}/revoke`)).statusCode).toBe(404)
    expect((await user(stranger, 'POST', '/api/changes', { request_type: 'DEVICE_REVOKE', target_type: 'device', target_id: d.id, reason: 'x' })).statusCode).toBe(404)
  })
})

describe('POST /api/edge/miners (scan --add)', () => {
  test('adds Plan A and full-E2EE miners to the device\'s site, once', async () => {
    const d = await enrolledDevice(siteA)
    const keyring = (await import('../../../tests/support/api.ts')).fakeKeyring()
    await user(owner, 'PUT', '/api/keyring', { keyring })
    const planA = { id: randomUUID(), name: 'found S19', model: 'Antminer S19', ip_address: '10.0.9.1', port: 4028 }
    const full = { id: randomUUID(), name: 'found S21 7f3a', use_full_e2ee: true, encrypted_connection_full: (await import('../../../tests/support/api.ts')).fakeBlockV2(keyring.kid, 1) }
    const res = await device(d.token, 'POST', '/api/edge/miners', { miners: [planA, full] })
    expect(res.json()).toEqual({ created: [planA.id, full.id], existing: [] })
    const rows = await api.app.knex('hosting_miners').whereIn('id', [planA.id, full.id]).orderBy('name')
    expect(rows.map((r) => [r.site_id, r.use_full_e2ee, r.ip_address])).toEqual([[siteA, false, '10.0.9.1'], [siteA, true, null]])
    expect((await device(d.token, 'POST', '/api/edge/miners', { miners: [planA] })).json()).toEqual({ created: [], existing: [planA.id] })
  })

  test('refuses a plaintext address with a full-E2EE miner, an address in its name, and ids taken elsewhere', async () => {
    const d = await enrolledDevice(siteA)
    const { fakeBlockV1 } = await import('../../../tests/support/api.ts')
    const plain = await device(d.token, 'POST', '/api/edge/miners', { miners: [{ id: randomUUID(), name: 'x', use_full_e2ee: true, encrypted_connection_full: fakeBlockV1(), ip_address: '10.0.0.1' }] })
    expect(plain.statusCode).toBe(400)
    const named = await device(d.token, 'POST', '/api/edge/miners', { miners: [{ id: randomUUID(), name: 'miner 10.0.0.7', use_full_e2ee: true, encrypted_connection_full: fakeBlockV1() }] })
    expect(named.statusCode).toBe(400)
    const taken = await device(d.token, 'POST', '/api/edge/miners', { miners: [{ id: minerB, name: 'steal', ip_address: '10.0.0.9', port: 4028 }] })
    expect(taken.statusCode).toBe(409)
    expect((await api.app.knex('hosting_miners').where({ id: minerB }).first()).site_id).toBe(siteB)
  })
})
