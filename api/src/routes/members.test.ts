import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startTestApi, type Session, type TestApi } from '../../../tests/support/api.ts'

let api: TestApi
let owner: Session
let siteA: string
let siteB: string

const req = (s: Session | null, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
  api.app.inject({ method, url, ...(s ? { headers: s.headers } : {}), ...(payload ? { payload } : {}) })
const invite = (s: Session, body: object) => req(s, 'POST', '/api/members/invitations', body)
const revoke = (s: Session, id: string) => req(s, 'DELETE', `/api/members/invitations/${id}`)
const accept = (token: string, password: string) => req(null, 'POST', '/api/auth/accept-invitation', { token, password })
const email = () => `invitee-${randomUUID()}@example.com`

beforeAll(async () => {
  api = await startTestApi()
  owner = await api.register()
  siteA = (await req(owner, 'POST', '/api/sites', { name: 'A' })).json().id
  siteB = (await req(owner, 'POST', '/api/sites', { name: 'B' })).json().id
})
afterAll(() => api.close())

describe('POST /api/members/invitations', () => {
  test('returns a one-time token whose hash alone is stored', async () => {
    const res = await invite(owner, { email: email(), role: 'operator', allowed_site_ids: [siteA] })
    expect(res.statusCode).toBe(201)
    const { token, invitation } = res.json()
    expect(token).toMatch(/^hii_[A-Za-z0-9_-]{43}$/)
    expect(invitation).toMatchObject({ role: 'operator', allowed_site_ids: [siteA] })
    // No mail server in this suite: the answer says the link was not emailed.
    expect(invitation.email_delivery).toMatchObject({ status: 'not_sent', detail: expect.stringMatching(/^Not emailed/) })
    const row = await api.app.knex('invitations').where({ id: invitation.id }).first()
    expect(JSON.stringify(row)).not.toContain(token.slice(4))
    expect(new Date(row.expires_at).getTime()).toBeGreaterThan(Date.now())
  })

  test('operators and viewers cannot invite; admins cannot make owners', async () => {
    for (const role of ['operator', 'viewer'] as const) {
      const member = await api.addMember(owner, role)
      expect((await invite(member, { email: email(), role: 'viewer' })).statusCode, role).toBe(403)
    }
    const admin = await api.addMember(owner, 'admin')
    const res = await invite(admin, { email: email(), role: 'owner' })
    expect(res.statusCode).toBe(403)
    expect(res.json().message).toMatch(/only an owner/)
    expect((await invite(admin, { email: email(), role: 'admin' })).statusCode).toBe(201)
  })

  test('a site-limited admin invites only to their own sites (RULE-2)', async () => {
    const limited = await api.addMember(owner, 'admin', [siteA])
    expect((await invite(limited, { email: email(), role: 'viewer', allowed_site_ids: [siteB] })).statusCode).toBe(403)
    expect((await invite(limited, { email: email(), role: 'viewer' })).statusCode).toBe(403)
    expect((await invite(limited, { email: email(), role: 'viewer', allowed_site_ids: [siteA] })).statusCode).toBe(201)
  })

  test("another tenant's site is refused and nothing is stored", async () => {
    const stranger = await api.register()
    const theirs = (await req(stranger, 'POST', '/api/sites', { name: 'X' })).json().id
    const before = await api.app.knex('invitations').count({ n: '*' }).first()
    const res = await invite(owner, { email: email(), role: 'viewer', allowed_site_ids: [theirs] })
    expect(res.statusCode).toBe(400)
    expect(await api.app.knex('invitations').count({ n: '*' }).first()).toEqual(before)
  })
})

describe('POST /api/auth/accept-invitation', () => {
  test('a new account joins with the invited role and sites, once', async () => {
    const { token } = (await invite(owner, { email: email(), role: 'operator', allowed_site_ids: [siteA] })).json()
    const res = await accept(token, 'a long enough password')
    expect(res.statusCode).toBe(200)
    expect(res.json().tenant).toMatchObject({ id: owner.tenantId, role: 'operator' })
    const session = { headers: { authorization: `Bearer ${res.json().token}` } } as Session
    expect((await req(session, 'GET', '/api/sites')).json().sites.map((s: { id: string }) => s.id)).toEqual([siteA])
    expect((await accept(token, 'a long enough password')).statusCode).toBe(401)
  })

  test('an existing account joins with its own password; a wrong one leaves the link usable', async () => {
    const address = email()
    const other = await req(null, 'POST', '/api/auth/register', { email: address, password: 'my own account password', tenantName: 'Elsewhere' })
    expect(other.statusCode).toBe(201)
    const { token } = (await invite(owner, { email: address, role: 'viewer' })).json()
    expect((await accept(token, 'not the password')).statusCode).toBe(401)
    const res = await accept(token, 'my own account password')
    expect(res.statusCode).toBe(200)
    expect(res.json().user.id).toBe(other.json().user.id)
    expect(res.json().tenant).toMatchObject({ id: owner.tenantId, role: 'viewer' })
  })

  test('an expired invitation is refused and makes no account', async () => {
    const address = email()
    const { token, invitation } = (await invite(owner, { email: address, role: 'viewer' })).json()
    await api.app.knex('invitations').where({ id: invitation.id }).update({ expires_at: new Date(Date.now() - 1000) })
    const res = await accept(token, 'a long enough password')
    expect(res.statusCode).toBe(401)
    expect(res.json().message).toMatch(/expired/)
    expect(await api.app.knex('users').whereRaw('lower(email) = lower(?)', [address]).first()).toBeUndefined()
  })

  test('a short password for a new account is refused with 400', async () => {
    const { token } = (await invite(owner, { email: email(), role: 'viewer' })).json()
    expect((await accept(token, 'short')).statusCode).toBe(400)
    expect((await accept(token, 'now long enough')).statusCode).toBe(200)
  })
})

describe('DELETE /api/members/invitations/:id', () => {
  test('a revoked invitation is audited without the address, leaves the list, and its link opens nothing', async () => {
    const address = email()
    const { token, invitation } = (await invite(owner, { email: address, role: 'operator' })).json()
    const res = await revoke(owner, invitation.id)
    expect(res.statusCode).toBe(204)
    expect(res.body).toBe('')
    const listed = (await req(owner, 'GET', '/api/members')).json().invitations.map((i: { id: string }) => i.id)
    expect(listed).not.toContain(invitation.id)
    const audited = await api.app.knex('audit_events').where({ action: 'member.invite_revoke', target_id: invitation.id })
    expect(audited).toEqual([expect.objectContaining({ tenant_id: owner.tenantId, actor_id: owner.userId })])
    expect(JSON.stringify(audited)).not.toContain(address)

    const refused = await accept(token, 'a long enough password')
    expect(refused.statusCode).toBe(401)
    expect(refused.json().message).toMatch(/revoked/)
    expect(await api.app.knex('users').whereRaw('lower(email) = lower(?)', [address]).first()).toBeUndefined()
  })

  test("another tenant's invitation or an unknown id is 404 and stays usable; operators cannot revoke", async () => {
    const stranger = await api.register()
    const { token, invitation } = (await invite(stranger, { email: email(), role: 'viewer' })).json()
    expect((await revoke(owner, invitation.id)).statusCode).toBe(404)
    expect((await revoke(owner, randomUUID())).statusCode).toBe(404)
    expect((await revoke(await api.addMember(stranger, 'operator'), invitation.id)).statusCode).toBe(403)
    expect((await revoke(owner, 'not-a-uuid')).statusCode).toBe(400)
    expect((await api.app.knex('invitations').where({ id: invitation.id }).first()).revoked_at).toBeNull()
    expect((await accept(token, 'a long enough password')).statusCode).toBe(200)
  })

  test('an accepted or already revoked invitation is a 409; a site-limited admin revokes only on their own sites', async () => {
    const { token, invitation } = (await invite(owner, { email: email(), role: 'viewer' })).json()
    expect((await accept(token, 'a long enough password')).statusCode).toBe(200)
    expect((await revoke(owner, invitation.id)).json()).toMatchObject({ statusCode: 409, message: expect.stringMatching(/accepted already/) })

    const limited = await api.addMember(owner, 'admin', [siteA])
    const onB = (await invite(owner, { email: email(), role: 'viewer', allowed_site_ids: [siteB] })).json().invitation
    expect((await revoke(limited, onB.id)).statusCode).toBe(403)
    const onA = (await invite(limited, { email: email(), role: 'viewer', allowed_site_ids: [siteA] })).json().invitation
    expect((await revoke(limited, onA.id)).statusCode).toBe(204)
    expect((await revoke(owner, onA.id)).json()).toMatchObject({ statusCode: 409, message: expect.stringMatching(/revoked already/) })
  })
})

describe('GET /api/members', () => {
  test('lists members and pending invitations without tokens, for admins only', async () => {
    const { token } = (await invite(owner, { email: email(), role: 'viewer' })).json()
    const res = await req(owner, 'GET', '/api/members')
    expect(res.statusCode).toBe(200)
    expect(res.json().members[0]).toMatchObject({ user_id: owner.userId, role: 'owner', allowed_site_ids: null })
    expect(res.json().invitations.length).toBeGreaterThan(0)
    expect(res.body).not.toContain(token.slice(4))
    const operator = await api.addMember(owner, 'operator')
    expect((await req(operator, 'GET', '/api/members')).statusCode).toBe(403)
  })
})
