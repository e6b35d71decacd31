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

describe('writes arriving together (group commit)', () => {
  const newMiner = async (s: Session, site: string) =>
    (await req(s, 'POST', `/api/sites/${site}/miners`, { name: `g-${Math.random()}`, ip_address: '10.9.9.9', port: 4028 })).json().id as string
  const distinctTransactions = async (ids: string[]) =>
    Number((await api.app.knex('hosting_miners').whereIn('id', ids).countDistinct({ n: api.app.knex.raw('xmin::text') }))[0]!.n)

  test('20 writes sent at once are each stored with their own audit event, in fewer transactions than writes', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => newMiner(owner, siteId)))
    const blocks = ids.map((_, n) => (n % 2 ? fakeBlockV1() : fakeBlockV2(kid, n + 1)))
    const answers = await Promise.all(ids.map((id, n) => req(owner, 'POST', `/api/miners/${id}/credentials`, { encrypted_credentials: blocks[n] })))
    expect(answers.map((a) => a.statusCode)).toEqual(ids.map(() => 200))
    answers.forEach((answer, n) => expect(answer.json()).toMatchObject({ miner_id: ids[n], encrypted_credentials: blocks[n] }))
    const rows = await api.app.knex('hosting_miners').whereIn('id', ids).select('id', 'revision', 'encrypted_credentials')
    for (const stored of rows) {
      expect(stored.revision).toBe(2)
      expect(stored.encrypted_credentials).toEqual(blocks[ids.indexOf(stored.id)])
    }
    const events = await api.app.knex('audit_events').whereIn('target_id', ids).where({ action: 'miner.credentials.set' })
    expect(events.map((e) => [e.target_id, e.actor_id]).sort()).toEqual(ids.map((id) => [id, owner.userId]).sort())
    expect(await distinctTransactions(ids)).toBeLessThan(ids.length)
    expect((await req(owner, 'GET', '/api/audit/verify')).json()).toMatchObject({ ok: true })
  })

  test("in one burst each write meets its own caller's rules: a rolled-back counter, a hidden site and another tenant's miner are refused, the rest stored", async () => {
    const otherSite = (await req(owner, 'POST', '/api/sites', { name: 'Elsewhere' })).json().id
    const operator = await api.addMember(owner, 'operator', [siteId])
    const stranger = await api.register('Stranger farm')
    const mine = await Promise.all(Array.from({ length: 6 }, () => newMiner(owner, siteId)))
    const hidden = await newMiner(owner, otherSite)
    expect((await req(owner, 'POST', `/api/miners/${mine[0]}/credentials`, { encrypted_credentials: fakeBlockV2(kid, 9) })).statusCode).toBe(200)
    const [rollback, ...rest] = await Promise.all([
      req(owner, 'POST', `/api/miners/${mine[0]}/credentials`, { encrypted_credentials: fakeBlockV2(kid, 3) }),
      req(operator, 'POST', `/api/miners/${hidden}/credentials`, { encrypted_credentials: fakeBlockV1() }),
      req(stranger, 'POST', `/api/miners/${mine[1]}/credentials`, { encrypted_credentials: fakeBlockV1() }),
      ...mine.slice(2).map((id) => req(operator, 'POST', `/api/miners/${id}/credentials`, { encrypted_credentials: fakeBlockV1() })),
    ])
    expect([rollback!.statusCode, ...rest.map((r) => r.statusCode)]).toEqual([409, 404, 404, 200, 200, 200, 200])
    expect((await row(mine[0]!)).encrypted_credentials.counter).toBe(9)
    expect((await row(hidden)).encrypted_credentials).toBeNull()
    expect((await row(mine[1]!)).encrypted_credentials).toBeNull()
  })

  test('two writes of one miner sent at once both apply, one after the other', async () => {
    const id = await newMiner(owner, siteId)
    const blocks = [fakeBlockV1(), fakeBlockV1()]
    const answers = await Promise.all(blocks.map((block) => req(owner, 'POST', `/api/miners/${id}/credentials`, { encrypted_credentials: block })))
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200])
    const stored = await row(id)
    expect(stored.revision).toBe(3)
    expect(blocks).toContainEqual(stored.encrypted_credentials)
    expect(await api.app.knex('audit_events').where({ target_id: id, action: 'miner.credentials.set' }).count({ n: '*' })).toEqual([{ n: 2 }])
  })

  test('enabling full E2EE for several miners at once drops each address', async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, () => newMiner(owner, siteId)))
    const answers = await Promise.all(ids.map((id, n) => req(owner, 'POST', `/api/miners/${id}/connection_full`, { use_full_e2ee: true, encrypted_connection_full: fakeBlockV2(kid, n + 1) })))
    expect(answers.map((a) => a.statusCode)).toEqual(ids.map(() => 200))
    const rows = await api.app.knex('hosting_miners').whereIn('id', ids).select('use_full_e2ee', 'ip_address', 'port')
    expect(rows).toEqual(ids.map(() => ({ use_full_e2ee: true, ip_address: null, port: null })))
  })
})
