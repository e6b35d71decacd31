/** RULE-1 … RULE-5 on the team-security routes, for every role. */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import vectors from '../../../e2ee/vectors/device_grant.json' with { type: 'json' }
import { fakeBlockV2, fakeKeyring, startTestApi, type Session, type TestApi } from '../../../tests/support/api.ts'
import type { Role } from '../schemas/common.ts'

let api: TestApi
let owner: Session
let secondOwner: Session
let siteA: string
let siteB: string
let kid: string

const req = (s: Session | { headers: Record<string, string> }, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  api.app.inject({ method, url, headers: s.headers, ...(payload ? { payload } : {}) })

async function device(siteId = siteA): Promise<{ id: string; token: string }> {
  const code = (await req(owner, 'POST', `/api/sites/${siteId}/devices`, { name: `rig-${randomUUID().slice(0, 6)}` })).json().enrollment_code
  const res = await api.app.inject({ method: 'POST', url: '/api/edge/enroll', payload: { code, public_key: vectors.grants[0]!.device_public_key } })
  return { id: res.json().device_id, token: res.json().token }
}
const grantFor = () => ({ ...vectors.grants[0]!.grant, kid })
const pendingChange = async () =>
  (await req(secondOwner, 'POST', '/api/changes', { request_type: 'DEVICE_REVOKE', target_type: 'device', target_id: (await device()).id, reason: 'r' })).json().id as string

beforeAll(async () => {
  api = await startTestApi()
  owner = await api.register()
  secondOwner = await api.addMember(owner, 'owner')
  siteA = (await req(owner, 'POST', '/api/sites', { name: 'A' })).json().id
  siteB = (await req(owner, 'POST', '/api/sites', { name: 'B' })).json().id
  const keyring = fakeKeyring()
  kid = keyring.kid
  await req(owner, 'PUT', '/api/keyring', { keyring })
})
afterAll(() => api.close())

type Call = [name: string, run: (s: Session) => Promise<{ statusCode: number }>, allowed: Role]
const CALLS: Call[] = [
  ['GET /api/members', (s) => req(s, 'GET', '/api/members'), 'admin'],
  ['POST /api/members/invitations', (s) => req(s, 'POST', '/api/members/invitations', { email: `x-${randomUUID()}@example.com`, role: 'viewer' }), 'admin'],
  ['GET /api/changes', (s) => req(s, 'GET', '/api/changes'), 'operator'],
  ['POST /api/changes', async (s) => req(s, 'POST', '/api/changes', { request_type: 'DEVICE_REVOKE', target_type: 'device', target_id: (await device()).id, reason: 'r' }), 'operator'],
  ['POST /api/changes/:id/approve', async (s) => req(s, 'POST', `/api/changes/${await pendingChange()}/approve`), 'admin'],
  ['GET /api/pool-keys', (s) => req(s, 'GET', '/api/pool-keys'), 'operator'],
  ['POST /api/pool-keys', (s) => {
    const id = randomUUID()
    return req(s, 'POST', '/api/pool-keys', { id, label: 'L', pool: 'P', scopes: [], fingerprint: 'fp-0000-0000', block: fakeBlockV2(kid, 1) })
  }, 'admin'],
  ['PUT /api/devices/:id/grant', async (s) => req(s, 'PUT', `/api/devices/${(await device()).id}/grant`, { grant: grantFor() }), 'admin'],
  ['GET /api/keyring/rotation', (s) => req(s, 'GET', '/api/keyring/rotation'), 'admin'],
  ['GET /api/security/alerts', (s) => req(s, 'GET', '/api/security/alerts'), 'admin'],
]
const RANK: Role[] = ['viewer', 'operator', 'admin', 'owner']

describe('RULE-3/RULE-4: each role, each route', () => {
  for (const [name, run, allowed] of CALLS) {
    test.each(RANK)(`${name} as %s`, async (role) => {
      const member = role === 'owner' ? owner : await api.addMember(owner, role)
      const res = await run(member)
      if (RANK.indexOf(role) >= RANK.indexOf(allowed)) expect(res.statusCode, (res as { body?: string }).body).toBeLessThan(300)
      else expect(res.statusCode).toBe(403)
    })
  }
})

describe('RULE-1/RULE-2: other tenants and other sites answer 404', () => {
  test("another tenant's change request, device and pool key are invisible", async () => {
    const stranger = await api.register()
    const change = await pendingChange()
    const d = await device()
    const poolKey = randomUUID()
    await req(owner, 'POST', '/api/pool-keys', { id: poolKey, label: 'L', pool: 'P', scopes: [], fingerprint: 'fp-0000-0000', block: fakeBlockV2(kid, 1) })
    expect((await req(stranger, 'POST', `/api/changes/${change}/approve`)).statusCode).toBe(404)
    expect((await req(stranger, 'POST', `/api/changes/${change}/reject`)).statusCode).toBe(404)
    expect((await req(stranger, 'PUT', `/api/devices/${d.id}/grant`, { grant: grantFor() })).statusCode).toBe(404)
    expect((await req(stranger, 'GET', `/api/pool-keys/${poolKey}`)).statusCode).toBe(404)
    expect((await req(stranger, 'GET', '/api/changes')).json().changes).toEqual([])
    expect((await req(stranger, 'GET', '/api/members')).json().members.map((m: { user_id: string }) => m.user_id)).toEqual([stranger.userId])
  })

  test('a site-limited admin cannot grant, or file changes for, a device of another site', async () => {
    const limited = await api.addMember(owner, 'admin', [siteA])
    const onB = await device(siteB)
    expect((await req(limited, 'PUT', `/api/devices/${onB.id}/grant`, { grant: grantFor() })).statusCode).toBe(404)
    expect((await req(limited, 'POST', '/api/changes', { request_type: 'DEVICE_REVOKE', target_type: 'device', target_id: onB.id, reason: 'r' })).statusCode).toBe(404)
    const onA = await device(siteA)
    expect((await req(limited, 'PUT', `/api/devices/${onA.id}/grant`, { grant: grantFor() })).statusCode).toBe(200)
  })
})

describe('RULE-5: device tokens and session tokens do not cross', () => {
  test('a device token opens no user route; a session token opens no edge route', async () => {
    const d = await device()
    const asDevice = { headers: { authorization: `Bearer ${d.token}` } }
    for (const url of ['/api/members', '/api/changes', '/api/pool-keys', '/api/security/alerts']) {
      expect((await req(asDevice, 'GET', url)).statusCode, url).toBe(401)
    }
    for (const url of ['/api/edge/grant', '/api/edge/pool-keys']) expect((await req(owner, 'GET', url)).statusCode, url).toBe(401)
    expect((await req(asDevice, 'GET', '/api/edge/grant')).statusCode).toBe(200)
  })
})
