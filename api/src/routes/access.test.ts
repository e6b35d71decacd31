/** RULE-1 … RULE-4 across sites, miners and the secret routes. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fakeBlockV1, startTestApi, type Session, type TestApi } from '../../../tests/support/api.ts'

let api: TestApi
let owner: Session
let otherOwner: Session
let siteA: string
let siteB: string
let minerA: string
let minerB: string
let foreignMiner: string

const req = (s: Session, method: 'GET' | 'POST', url: string, payload?: object) =>
  api.app.inject({ method, url, headers: s.headers, ...(payload ? { payload } : {}) })

async function createSite(s: Session, name: string): Promise<string> {
  const res = await req(s, 'POST', '/api/sites', { name })
  expect(res.statusCode).toBe(201)
  return res.json().id
}
async function createMiner(s: Session, siteId: string, name: string): Promise<string> {
  const res = await req(s, 'POST', `/api/sites/${siteId}/miners`, { name, ip_address: '10.0.0.5', port: 4028 })
  expect(res.statusCode).toBe(201)
  return res.json().id
}

beforeAll(async () => {
  api = await startTestApi()
  owner = await api.register('Owner Farm')
  otherOwner = await api.register('Other Farm')
  siteA = await createSite(owner, 'Site A')
  siteB = await createSite(owner, 'Site B')
  minerA = await createMiner(owner, siteA, 'a-1')
  minerB = await createMiner(owner, siteB, 'b-1')
  foreignMiner = await createMiner(otherOwner, await createSite(otherOwner, 'Theirs'), 'x-1')
})
afterAll(() => api.close())

describe('RULE-1 tenant isolation', () => {
  test("another tenant's miner answers 404 on every miner route", async () => {
    for (const url of [`/api/miners/${foreignMiner}`, `/api/miners/${foreignMiner}/credentials`, `/api/miners/${foreignMiner}/connection_full`]) {
      const res = await req(owner, 'GET', url)
      expect(res.statusCode, url).toBe(404)
    }
    const write = await req(owner, 'POST', `/api/miners/${foreignMiner}/credentials`, { encrypted_credentials: fakeBlockV1() })
    expect(write.statusCode).toBe(404)
  })

  test("another tenant's site is invisible in lists and answers 404", async () => {
    const list = await req(otherOwner, 'GET', '/api/sites')
    expect(list.json().sites.map((s: { id: string }) => s.id)).not.toContain(siteA)
    expect((await req(otherOwner, 'GET', `/api/sites/${siteA}/miners`)).statusCode).toBe(404)
    expect((await req(otherOwner, 'POST', `/api/sites/${siteA}/miners`, { name: 'intruder', ip_address: '10.0.0.9' })).statusCode).toBe(404)
  })

  test('a miner id that exists nowhere and one of another tenant answer the same', async () => {
    const missing = await req(owner, 'GET', '/api/miners/00000000-0000-4000-8000-000000000000')
    const foreign = await req(owner, 'GET', `/api/miners/${foreignMiner}`)
    expect(missing.statusCode).toBe(404)
    expect(missing.json().message).toBe(foreign.json().message)
  })
})

describe('RULE-2 site isolation', () => {
  test('a member limited to site A sees only site A and its miners', async () => {
    const limited = await api.addMember(owner, 'operator', [siteA])
    const sites = (await req(limited, 'GET', '/api/sites')).json().sites.map((s: { id: string }) => s.id)
    expect(sites).toEqual([siteA])
    expect((await req(limited, 'GET', `/api/miners/${minerA}`)).statusCode).toBe(200)
    expect((await req(limited, 'GET', `/api/miners/${minerB}`)).statusCode).toBe(404)
    expect((await req(limited, 'GET', `/api/sites/${siteB}/miners`)).statusCode).toBe(404)
    expect((await req(limited, 'POST', `/api/miners/${minerB}/credentials`, { encrypted_credentials: fakeBlockV1() })).statusCode).toBe(404)
  })

  test('a member with an empty site list sees no site', async () => {
    const none = await api.addMember(owner, 'admin', [])
    expect((await req(none, 'GET', '/api/sites')).json().sites).toEqual([])
    expect((await req(none, 'GET', `/api/miners/${minerA}`)).statusCode).toBe(404)
  })
})

describe('RULE-3 and RULE-4 role limits', () => {
  test('a viewer can list miners but cannot create one or touch secrets', async () => {
    const viewer = await api.addMember(owner, 'viewer')
    expect((await req(viewer, 'GET', `/api/sites/${siteA}/miners`)).statusCode).toBe(200)
    const create = await req(viewer, 'POST', `/api/sites/${siteA}/miners`, { name: 'v', ip_address: '10.0.0.7' })
    expect(create.statusCode).toBe(403)
    expect(create.json().message).toMatch(/operator role/)
    expect((await req(viewer, 'GET', `/api/miners/${minerA}/credentials`)).statusCode).toBe(403)
    expect((await req(viewer, 'POST', `/api/miners/${minerA}/credentials`, { encrypted_credentials: fakeBlockV1() })).statusCode).toBe(403)
  })

  test('an operator creates miners and stores credentials but cannot create sites or disable full E2EE', async () => {
    const operator = await api.addMember(owner, 'operator')
    expect((await req(operator, 'POST', `/api/sites/${siteA}/miners`, { name: 'op-1', ip_address: '10.0.0.8' })).statusCode).toBe(201)
    expect((await req(operator, 'POST', `/api/miners/${minerA}/credentials`, { encrypted_credentials: fakeBlockV1() })).statusCode).toBe(200)
    expect((await req(operator, 'POST', '/api/sites', { name: 'Op Site' })).statusCode).toBe(403)
    const disable = await req(operator, 'POST', `/api/miners/${minerA}/connection_full`, { use_full_e2ee: false, ip_address: '10.0.0.5' })
    expect(disable.statusCode).toBe(403)
    expect(disable.json().message).toMatch(/disable full E2EE/)
  })

  test('an admin creates sites and reads the audit log; an operator cannot read it', async () => {
    const admin = await api.addMember(owner, 'admin')
    const operator = await api.addMember(owner, 'operator')
    expect((await req(admin, 'POST', '/api/sites', { name: 'Admin Site' })).statusCode).toBe(201)
    expect((await req(admin, 'GET', '/api/audit')).statusCode).toBe(200)
    expect((await req(operator, 'GET', '/api/audit')).statusCode).toBe(403)
  })

  // Memberships are cached per process; the database's change notification drops
  // the entry, so the refusal follows within milliseconds, long before the token expires.
  async function statusSoon(s: Session, url: string, expected: number): Promise<number> {
    let status = 0
    for (let i = 0; i < 100 && status !== expected; i++) {
      status = (await req(s, 'GET', url)).statusCode
      if (status !== expected) await new Promise((r) => setTimeout(r, 20))
    }
    return status
  }

  test('a removed member is refused right away, before the token expires', async () => {
    const member = await api.addMember(owner, 'operator')
    expect((await req(member, 'GET', '/api/sites')).statusCode).toBe(200)
    await api.app.knex('memberships').where({ user_id: member.userId }).delete()
    expect(await statusSoon(member, '/api/sites', 401)).toBe(401)
  })

  test('a lowered role takes effect right away', async () => {
    const member = await api.addMember(owner, 'operator')
    expect((await req(member, 'GET', `/api/miners/${minerA}/credentials`)).statusCode).toBe(200)
    await api.app.knex('memberships').where({ user_id: member.userId }).update({ role: 'viewer' })
    expect(await statusSoon(member, `/api/miners/${minerA}/credentials`, 403)).toBe(403)
  })

  test('requests without a token get 401, before their body is looked at', async () => {
    const res = await api.app.inject({ method: 'POST', url: `/api/miners/${minerA}/credentials`, payload: { nonsense: true } })
    expect(res.statusCode).toBe(401)
  })
})
