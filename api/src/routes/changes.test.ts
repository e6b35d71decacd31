import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fakeBlockV1, fakeKeyring, startTestApi, type Session, type TestApi } from '../../../tests/support/api.ts'

let api: TestApi
let owner: Session
let admin: Session
let siteA: string
let siteB: string

const req = (s: Session, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  api.app.inject({ method, url, headers: s.headers, ...(payload ? { payload } : {}) })
const file = (s: Session, body: object) => req(s, 'POST', '/api/changes', { reason: 'test', ...body })
const step = (s: Session, id: string, verb: 'approve' | 'reject' | 'execute', body: object = {}) =>
  req(s, 'POST', `/api/changes/${id}/${verb}`, verb === 'execute' ? body : undefined)

async function fullMiner(siteId = siteA): Promise<string> {
  const id = (await req(owner, 'POST', `/api/sites/${siteId}/miners`, { name: `m-${randomUUID()}`, ip_address: '10.0.0.5' })).json().id
  expect((await req(owner, 'POST', `/api/miners/${id}/connection_full`, { use_full_e2ee: true, encrypted_connection_full: fakeBlockV1() })).statusCode).toBe(200)
  return id
}
async function enrolledDevice(siteId = siteA): Promise<{ id: string; token: string }> {
  const created = await req(owner, 'POST', `/api/sites/${siteId}/devices`, { name: `rig-${randomUUID().slice(0, 6)}` })
  const enrolled = await api.app.inject({ method: 'POST', url: '/api/edge/enroll', payload: { code: created.json().enrollment_code } })
  return { id: enrolled.json().device_id, token: enrolled.json().token }
}
const miner = (id: string) => api.app.knex('hosting_miners').where({ id }).first()
const actions = (targetId: string) => api.app.knex('audit_events').where({ tenant_id: owner.tenantId }).orderBy('id')
  .where((q) => q.where({ target_id: targetId }).orWhereRaw("details->>'change_request_id' = ?", [targetId])).pluck('action')

beforeAll(async () => {
  api = await startTestApi()
  owner = await api.register()
  admin = await api.addMember(owner, 'admin')
  siteA = (await req(owner, 'POST', '/api/sites', { name: 'A' })).json().id
  siteB = (await req(owner, 'POST', '/api/sites', { name: 'B' })).json().id
})
afterAll(() => api.close())

describe('four eyes: POST /api/changes/:id/approve', () => {
  test('the requester cannot approve their own request; another admin can', async () => {
    const minerId = await fullMiner()
    const filed = await file(owner, { request_type: 'DISABLE_FULL_E2EE', target_type: 'miner', target_id: minerId })
    expect(filed.statusCode).toBe(201)
    expect(filed.json()).toMatchObject({ status: 'PENDING', requested_by: owner.userId })
    const self = await step(owner, filed.json().id, 'approve')
    expect(self.statusCode).toBe(403)
    expect(self.json().message).toMatch(/another owner or admin/)
    const approved = await step(admin, filed.json().id, 'approve')
    expect(approved.json()).toMatchObject({ status: 'APPROVED', decided_by: admin.userId })
  })

  test.each([
    ['viewer', 403, 403],
    ['operator', 201, 403],
    ['admin', 201, 200],
    ['owner', 201, 200],
  ] as const)('a %s files (%i) and approves (%i)', async (role, fileStatus, approveStatus) => {
    const member = role === 'owner' ? await api.addMember(owner, 'owner') : await api.addMember(owner, role)
    const filed = await file(member, { request_type: 'DISABLE_FULL_E2EE', target_type: 'miner', target_id: await fullMiner() })
    expect(filed.statusCode).toBe(fileStatus)
    const other = await file(owner, { request_type: 'DISABLE_FULL_E2EE', target_type: 'miner', target_id: await fullMiner() })
    expect((await step(member, other.json().id, 'approve')).statusCode).toBe(approveStatus)
  })

  test('the member whose role changes cannot approve it', async () => {
    const target = await api.addMember(owner, 'admin')
    const filed = await file(owner, { request_type: 'ROLE_CHANGE', target_type: 'member', target_id: target.userId, requested_action: { role: 'operator' } })
    expect((await step(target, filed.json().id, 'approve')).statusCode).toBe(403)
  })
})

describe('POST /api/changes: bad requests change nothing', () => {
  test.each([
    ['a target of the wrong type', { request_type: 'DEVICE_REVOKE', target_type: 'miner', target_id: randomUUID() }, 400],
    ['a plaintext secret field', { request_type: 'DEVICE_REVOKE', target_type: 'device', target_id: randomUUID(), password: 'x' }, 400],
    ['an address in requested_action', { request_type: 'DISABLE_FULL_E2EE', target_type: 'miner', target_id: randomUUID(), requested_action: { ip_address: '10.0.0.1' } }, 400],
    ['an unknown type', { request_type: 'DROP_TABLES', target_type: 'tenant', target_id: randomUUID() }, 400],
    ['a missing miner', { request_type: 'DISABLE_FULL_E2EE', target_type: 'miner', target_id: randomUUID() }, 404],
    ['an empty reason', { request_type: 'DEVICE_REVOKE', target_type: 'device', target_id: randomUUID(), reason: ' ' }, 400],
  ])('%s is refused', async (_name, body, status) => {
    const before = await api.app.knex('change_requests').count({ n: '*' }).first()
    const res = await file(owner, body)
    expect(res.statusCode).toBe(status)
    expect(res.json().message).toBeTruthy()
    expect(await api.app.knex('change_requests').count({ n: '*' }).first()).toEqual(before)
  })

  test('a miner already in Plan A and a second open request for the same change answer 409', async () => {
    const planA = (await req(owner, 'POST', `/api/sites/${siteA}/miners`, { name: 'plain', ip_address: '10.0.0.6' })).json().id
    expect((await file(owner, { request_type: 'DISABLE_FULL_E2EE', target_type: 'miner', target_id: planA })).statusCode).toBe(409)
    const minerId = await fullMiner()
    expect((await file(owner, { request_type: 'DISABLE_FULL_E2EE', target_type: 'miner', target_id: minerId })).statusCode).toBe(201)
    expect((await file(admin, { request_type: 'DISABLE_FULL_E2EE', target_type: 'miner', target_id: minerId })).statusCode).toBe(409)
  })

  test('RULE-1/RULE-2: a miner of another site or tenant cannot be targeted, and its requests stay hidden', async () => {
    const limited = await api.addMember(owner, 'admin', [siteA])
    const onB = await fullMiner(siteB)
    expect((await file(limited, { request_type: 'DISABLE_FULL_E2EE', target_type: 'miner', target_id: onB })).statusCode).toBe(404)
    const filed = await file(owner, { request_type: 'DISABLE_FULL_E2EE', target_type: 'miner', target_id: onB })
    const seen = (await req(limited, 'GET', '/api/changes')).json().changes.map((c: { id: string }) => c.id)
    expect(seen).not.toContain(filed.json().id)
    expect((await step(limited, filed.json().id, 'approve')).statusCode).toBe(404)
    const stranger = await api.register()
    expect((await step(stranger, filed.json().id, 'approve')).statusCode).toBe(404)
    expect((await file(stranger, { request_type: 'DISABLE_FULL_E2EE', target_type: 'miner', target_id: onB })).statusCode).toBe(404)
  })
})

describe('DISABLE_FULL_E2EE', () => {
  test('the direct route refuses and points to a change request; the miner keeps full E2EE', async () => {
    const minerId = await fullMiner()
    const res = await req(owner, 'POST', `/api/miners/${minerId}/connection_full`, { use_full_e2ee: false, ip_address: '10.9.8.7' })
    expect(res.statusCode).toBe(409)
    expect(res.json().message).toMatch(/change request.*DISABLE_FULL_E2EE/)
    expect(await miner(minerId)).toMatchObject({ use_full_e2ee: true, ip_address: null })
  })

  test('sync refuses it the same way', async () => {
    const minerId = await fullMiner()
    const res = await req(owner, 'POST', '/api/sync', { changes: [{ change_id: randomUUID(), kind: 'connection_full', subject_id: minerId, base_revision: 2, use_full_e2ee: false, ip_address: '10.9.8.7' }] })
    expect(res.json().results[0]).toMatchObject({ status: 'rejected', error: { statusCode: 409 } })
    expect((await miner(minerId)).use_full_e2ee).toBe(true)
  })

  test('approved, then executed with the address the owner sends back: Plan A, every step audited', async () => {
    const minerId = await fullMiner()
    const id = (await file(owner, { request_type: 'DISABLE_FULL_E2EE', target_type: 'miner', target_id: minerId })).json().id
    expect((await step(owner, id, 'execute', { ip_address: '10.9.8.7' })).statusCode).toBe(409)
    await step(admin, id, 'approve')
    const missing = await step(owner, id, 'execute', {})
    expect(missing.statusCode).toBe(400)
    expect(missing.json().message).toMatch(/ip_address/)
    expect((await miner(minerId)).use_full_e2ee).toBe(true)
    const done = await step(owner, id, 'execute', { ip_address: '10.9.8.7', port: 4029 })
    expect(done.json()).toMatchObject({ status: 'EXECUTED', executed_by: owner.userId })
    expect(await miner(minerId)).toMatchObject({ use_full_e2ee: false, ip_address: '10.9.8.7', port: 4029, encrypted_connection_full: null })
    expect((await step(owner, id, 'execute', { ip_address: '10.9.8.7' })).statusCode).toBe(409)
    const trail = await actions(id)
    expect(trail).toEqual(['change.request', 'change.approve', 'miner.full_e2ee.disable', 'change.execute'])
    const events = await api.app.knex('audit_events').whereRaw("details->>'change_request_id' = ? OR target_id = ?", [id, id])
    expect(JSON.stringify(events)).not.toContain('10.9.8.7')
  })
})

describe('DEVICE_REVOKE', () => {
  test('the direct route refuses; the executed request makes the token fail at once', async () => {
    const d = await enrolledDevice()
    const direct = await req(owner, 'POST', `/api/devices/${d.id}/revoke`)
    expect(direct.statusCode).toBe(409)
    expect(direct.json().message).toMatch(/DEVICE_REVOKE/)
    const edge = () => api.app.inject({ method: 'GET', url: '/api/edge/miners', headers: { authorization: `Bearer ${d.token}` } })
    expect((await edge()).statusCode).toBe(200)
    const id = (await file(owner, { request_type: 'DEVICE_REVOKE', target_type: 'device', target_id: d.id })).json().id
    await step(admin, id, 'approve')
    expect((await edge()).statusCode).toBe(200)
    expect((await step(admin, id, 'execute')).json().status).toBe('EXECUTED')
    expect((await edge()).statusCode).toBe(401)
    expect((await api.app.knex('edge_devices').where({ id: d.id }).first()).status).toBe('revoked')
  })
})

describe('ROLE_CHANGE', () => {
  test("an executed request changes the member's role and sites at once", async () => {
    const member = await api.addMember(owner, 'operator')
    const minerOnA = await fullMiner()
    expect((await req(member, 'GET', `/api/miners/${minerOnA}/credentials`)).statusCode).toBe(200)
    const id = (await file(admin, { request_type: 'ROLE_CHANGE', target_type: 'member', target_id: member.userId, requested_action: { role: 'viewer', allowed_site_ids: [siteB] } })).json().id
    await step(owner, id, 'approve')
    await step(owner, id, 'execute')
    expect(await api.app.knex('memberships').where({ user_id: member.userId }).first()).toMatchObject({ role: 'viewer', allowed_site_ids: [siteB] })
    // The membership cache is dropped by the database's notification within milliseconds.
    let status = 0
    for (let i = 0; i < 100 && status !== 404; i++) {
      status = (await req(member, 'GET', `/api/miners/${minerOnA}`)).statusCode
      if (status !== 404) await new Promise((r) => setTimeout(r, 20))
    }
    expect(status).toBe(404)
    expect((await req(member, 'GET', `/api/miners/${minerOnA}/credentials`)).statusCode).toBe(403)
    expect(await actions(id)).toEqual(['change.request', 'change.approve', 'member.role_change', 'change.execute'])
  })

  test('an admin cannot change an owner, and the last owner cannot be demoted', async () => {
    expect((await file(admin, { request_type: 'ROLE_CHANGE', target_type: 'member', target_id: owner.userId, requested_action: { role: 'admin' } })).statusCode).toBe(403)
    const solo = await api.register()
    const soloAdmin = await api.addMember(solo, 'admin')
    const res = await file(soloAdmin, { request_type: 'ROLE_CHANGE', target_type: 'member', target_id: solo.userId, requested_action: { role: 'admin' } })
    expect(res.statusCode).toBe(403)
    const self = await file(solo, { request_type: 'ROLE_CHANGE', target_type: 'member', target_id: solo.userId, requested_action: { role: 'admin' } })
    expect(self.statusCode).toBe(409)
    expect(self.json().message).toMatch(/without an owner/)
  })

  test('a request with nothing to change is refused', async () => {
    const member = await api.addMember(owner, 'viewer')
    expect((await file(owner, { request_type: 'ROLE_CHANGE', target_type: 'member', target_id: member.userId, requested_action: {} })).statusCode).toBe(400)
  })
})

describe('BATCH_REENCRYPT', () => {
  test('executing authorises one rotation from the current kid', async () => {
    const keyring = fakeKeyring()
    expect((await req(owner, 'PUT', '/api/keyring', { keyring })).statusCode).toBe(200)
    const id = (await file(owner, { request_type: 'BATCH_REENCRYPT', target_type: 'tenant', target_id: owner.tenantId })).json().id
    await step(admin, id, 'approve')
    const done = (await step(owner, id, 'execute')).json()
    expect(done.rotation_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(await api.app.knex('key_rotations').where({ id: done.rotation_id }).first()).toMatchObject({ old_kid: keyring.kid, status: 'AUTHORISED' })
    expect((await file(owner, { request_type: 'BATCH_REENCRYPT', target_type: 'tenant', target_id: owner.tenantId })).statusCode).toBe(409)
  })
})

describe('expiry and rejection', () => {
  const expire = (id: string) => api.app.knex('change_requests').where({ id }).update({ expires_at: new Date(Date.now() - 1000) })

  test('an expired request cannot be approved, and reads show it EXPIRED', async () => {
    const id = (await file(owner, { request_type: 'DISABLE_FULL_E2EE', target_type: 'miner', target_id: await fullMiner() })).json().id
    await expire(id)
    const res = await step(admin, id, 'approve')
    expect(res.statusCode).toBe(409)
    expect(res.json().message).toMatch(/expired/)
    const listed = (await req(owner, 'GET', '/api/changes?status=EXPIRED')).json().changes
    expect(listed.map((c: { id: string }) => c.id)).toContain(id)
    expect(await actions(id)).toEqual(['change.request', 'change.expire'])
  })

  test('an approval that expired cannot be executed', async () => {
    const minerId = await fullMiner()
    const id = (await file(owner, { request_type: 'DISABLE_FULL_E2EE', target_type: 'miner', target_id: minerId })).json().id
    await step(admin, id, 'approve')
    await expire(id)
    expect((await step(owner, id, 'execute', { ip_address: '10.0.0.9' })).statusCode).toBe(409)
    expect((await miner(minerId)).use_full_e2ee).toBe(true)
  })

  test('new requests expire 24 hours after filing', async () => {
    const res = (await file(owner, { request_type: 'DISABLE_FULL_E2EE', target_type: 'miner', target_id: await fullMiner() })).json()
    const hours = (new Date(res.expires_at).getTime() - new Date(res.created_at).getTime()) / 3600_000
    expect(hours).toBeCloseTo(24, 1)
  })

  test('a rejected request cannot be approved or executed; an operator cannot reject what others filed', async () => {
    const id = (await file(owner, { request_type: 'DISABLE_FULL_E2EE', target_type: 'miner', target_id: await fullMiner() })).json().id
    const operator = await api.addMember(owner, 'operator')
    expect((await step(operator, id, 'reject')).statusCode).toBe(403)
    expect((await step(admin, id, 'reject')).json().status).toBe('REJECTED')
    expect((await step(admin, id, 'approve')).statusCode).toBe(409)
  })
})

describe('audit chain', () => {
  test('altering a change-request event is found by GET /api/audit/verify', async () => {
    const id = (await file(owner, { request_type: 'DISABLE_FULL_E2EE', target_type: 'miner', target_id: await fullMiner() })).json().id
    await step(admin, id, 'approve')
    expect((await req(owner, 'GET', '/api/audit/verify')).json().ok).toBe(true)
    const event = await api.app.knex('audit_events').where({ target_id: id, action: 'change.approve' }).first()
    await api.app.knex('audit_events').where({ id: event.id }).update({ actor_id: owner.userId })
    const check = (await req(owner, 'GET', '/api/audit/verify')).json()
    expect(check).toMatchObject({ ok: false, first_broken_id: String(event.id) })
  })
})
