import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { fakeBlockV1, fakeBlockV2, fakeKeyring, startTestApi, type Session, type TestApi } from '../../../tests/support/api.ts'

let api: TestApi
let owner: Session
let siteId: string
let minerId: string
let kid: string

const req = (s: Session, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  api.app.inject({ method, url, headers: s.headers, ...(payload ? { payload } : {}) })
const row = (id: string) => api.app.knex('hosting_miners').where({ id }).first()

beforeAll(async () => {
  api = await startTestApi()
  owner = await api.register()
  siteId = (await req(owner, 'POST', '/api/sites', { name: 'Main' })).json().id
  const keyring = fakeKeyring()
  kid = keyring.kid
  expect((await req(owner, 'PUT', '/api/keyring', { keyring })).statusCode).toBe(200)
})
afterAll(() => api.close())
beforeEach(async () => {
  minerId = (await req(owner, 'POST', `/api/sites/${siteId}/miners`, { name: `m-${Date.now()}-${Math.random()}`, ip_address: '10.1.2.3', port: 4028 })).json().id
})

describe('GET/POST /api/miners/:id/credentials (Plan A)', () => {
  test('a new miner has no credentials block yet', async () => {
    const res = await req(owner, 'GET', `/api/miners/${minerId}/credentials`)
    expect(res.json()).toEqual({ success: true, miner_id: minerId, encrypted_credentials: null })
  })

  test('a v1 block round-trips byte for byte and bumps the revision', async () => {
    const block = fakeBlockV1()
    const saved = await req(owner, 'POST', `/api/miners/${minerId}/credentials`, { encrypted_credentials: block })
    expect(saved.statusCode).toBe(200)
    expect(saved.json()).toMatchObject({ success: true, miner_id: minerId, encrypted_credentials: block })
    expect((await req(owner, 'GET', `/api/miners/${minerId}/credentials`)).json().encrypted_credentials).toEqual(block)
    const meta = (await req(owner, 'GET', `/api/miners/${minerId}`)).json()
    expect(meta).toMatchObject({ has_credentials: true, revision: 2, ip_address: '10.1.2.3' })
  })

  test('a v2 block needs a counter above the stored one', async () => {
    expect((await req(owner, 'POST', `/api/miners/${minerId}/credentials`, { encrypted_credentials: fakeBlockV2(kid, 5) })).statusCode).toBe(200)
    for (const counter of [5, 4, 1]) {
      const res = await req(owner, 'POST', `/api/miners/${minerId}/credentials`, { encrypted_credentials: fakeBlockV2(kid, counter) })
      expect(res.statusCode).toBe(409)
      expect(res.json().message).toMatch(/not above the stored counter 5/)
    }
    expect((await req(owner, 'POST', `/api/miners/${minerId}/credentials`, { encrypted_credentials: fakeBlockV2(kid, 6) })).statusCode).toBe(200)
    expect((await row(minerId)).encrypted_credentials.counter).toBe(6)
  })

  test('a v2 block under another keyring is refused', async () => {
    const res = await req(owner, 'POST', `/api/miners/${minerId}/credentials`, { encrypted_credentials: fakeBlockV2(fakeKeyring().kid, 1) })
    expect(res.statusCode).toBe(409)
    expect(res.json().message).toMatch(/current keyring/)
  })

  test('a v1 block cannot replace a v2 block', async () => {
    await req(owner, 'POST', `/api/miners/${minerId}/credentials`, { encrypted_credentials: fakeBlockV2(kid, 1) })
    const res = await req(owner, 'POST', `/api/miners/${minerId}/credentials`, { encrypted_credentials: fakeBlockV1() })
    expect(res.statusCode).toBe(409)
    expect(res.json().message).toMatch(/downgrade refused/)
  })

  test('each save appends an audit event that names the block format but not its content', async () => {
    const block = fakeBlockV2(kid, 1)
    await req(owner, 'POST', `/api/miners/${minerId}/credentials`, { encrypted_credentials: block })
    const event = await api.app.knex('audit_events').where({ target_id: minerId, action: 'miner.credentials.set' }).first()
    expect(event.details).toEqual({ version: 2, kid, counter: 1 })
    expect(JSON.stringify(event)).not.toContain(block.ciphertext)
  })
})

describe('GET/POST /api/miners/:id/connection_full (Plan B)', () => {
  test('enabling stores the block and leaves no plaintext address in the row', async () => {
    const block = fakeBlockV2(kid, 1)
    const res = await req(owner, 'POST', `/api/miners/${minerId}/connection_full`, { use_full_e2ee: true, encrypted_connection_full: block })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ success: true, use_full_e2ee: true, encrypted_connection_full: block })
    const stored = await row(minerId)
    expect(stored).toMatchObject({ use_full_e2ee: true, ip_address: null, port: null })
    expect((await req(owner, 'GET', `/api/miners/${minerId}`)).json()).toMatchObject({ ip_address: null, port: null, use_full_e2ee: true })
    expect((await req(owner, 'GET', `/api/miners/${minerId}/connection_full`)).json()).toEqual({
      success: true, miner_id: minerId, use_full_e2ee: true, encrypted_connection_full: block,
    })
  })

  // Turning full E2EE off is a four-eyes action now (routes/changes.test.ts covers
  // the way that works): the direct route says so and leaves the miner as it was.
  test('disabling directly is refused with a pointer to a change request; the address stays out', async () => {
    await req(owner, 'POST', `/api/miners/${minerId}/connection_full`, { use_full_e2ee: true, encrypted_connection_full: fakeBlockV1() })
    const res = await req(owner, 'POST', `/api/miners/${minerId}/connection_full`, { use_full_e2ee: false, encrypted_connection_full: null, ip_address: '10.9.8.7', port: 4029 })
    expect(res.statusCode).toBe(409)
    expect(res.json().message).toMatch(/four-eyes change request/)
    expect(await row(minerId)).toMatchObject({ use_full_e2ee: true, ip_address: null, port: null })
  })

  test('disabling without an address is refused, since the server kept none', async () => {
    await req(owner, 'POST', `/api/miners/${minerId}/connection_full`, { use_full_e2ee: true, encrypted_connection_full: fakeBlockV1() })
    const res = await req(owner, 'POST', `/api/miners/${minerId}/connection_full`, { use_full_e2ee: false, encrypted_connection_full: null })
    expect(res.statusCode).toBe(400)
    expect(res.json().message).toMatch(/ip_address/)
    expect((await row(minerId)).use_full_e2ee).toBe(true)
  })

  test('re-saving the connection needs a higher counter too', async () => {
    await req(owner, 'POST', `/api/miners/${minerId}/connection_full`, { use_full_e2ee: true, encrypted_connection_full: fakeBlockV2(kid, 3) })
    const stale = await req(owner, 'POST', `/api/miners/${minerId}/connection_full`, { use_full_e2ee: true, encrypted_connection_full: fakeBlockV2(kid, 2) })
    expect(stale.statusCode).toBe(409)
    const audit = await api.app.knex('audit_events').where({ target_id: minerId }).orderBy('id').pluck('action')
    expect(audit).toEqual(['miner.create', 'miner.full_e2ee.set'])
  })
})

describe('PATCH /api/miners/:id', () => {
  const patch = (payload: object) => api.app.inject({ method: 'PATCH', url: `/api/miners/${minerId}`, headers: owner.headers, payload })

  test('changes a Plan A miner\'s name and address and bumps its revision', async () => {
    const res = await patch({ name: 'renamed', ip_address: '10.1.2.99', port: 4029, base_revision: 1 })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ name: 'renamed', ip_address: '10.1.2.99', port: 4029, revision: 2 })
    const event = await api.app.knex('audit_events').where({ target_id: minerId, action: 'miner.update' }).first()
    expect(event.details).toEqual({ fields: ['ip_address', 'name', 'port'] })
  })

  test('refuses a stale revision and an address while full E2EE is on', async () => {
    expect((await patch({ name: 'x', base_revision: 7 })).statusCode).toBe(409)
    await req(owner, 'POST', `/api/miners/${minerId}/connection_full`, { use_full_e2ee: true, encrypted_connection_full: fakeBlockV2(kid, 1) })
    const res = await patch({ ip_address: '10.0.0.1' })
    expect(res.statusCode).toBe(409)
    expect(res.json().message).toMatch(/encrypted connection/)
    expect((await row(minerId)).ip_address).toBeNull()
    expect((await patch({ name: 'still fine' })).statusCode).toBe(200)
  })

  test('a viewer cannot change a miner; an empty body is a 400', async () => {
    const viewer = await api.addMember(owner, 'viewer')
    expect((await api.app.inject({ method: 'PATCH', url: `/api/miners/${minerId}`, headers: viewer.headers, payload: { name: 'v' } })).statusCode).toBe(403)
    expect((await patch({})).statusCode).toBe(400)
  })
})
