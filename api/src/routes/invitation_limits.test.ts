/** Invitations cannot turn the server into a mail relay: per-member and per-tenant hourly limits, and a cap on waiting ones. */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startTestApi, type Session, type TestApi } from '../../../tests/support/api.ts'

let api: TestApi
const PER_USER = 3
const PER_TENANT = 4
const PENDING = 5

const invite = (s: Session) =>
  api.app.inject({ method: 'POST', url: '/api/members/invitations', headers: s.headers, payload: { email: `invitee-${randomUUID()}@example.com`, role: 'viewer' } })
const stored = async (tenantId: string) => Number((await api.app.knex('invitations').where({ tenant_id: tenantId }).count({ n: '*' }).first())!.n)

beforeAll(async () => {
  api = await startTestApi({ invitationRateLimit: PER_USER, tenantInvitationRateLimit: PER_TENANT, maxPendingInvitations: PENDING })
})
afterAll(() => api.close())

describe('POST /api/members/invitations: rate limits', () => {
  test('a member past their hourly share gets a 429 saying so and nothing is stored; another member of the tenant still invites until the tenant share', async () => {
    const owner = await api.register()
    for (let i = 0; i < PER_USER; i++) expect((await invite(owner)).statusCode).toBe(201)
    const refused = await invite(owner)
    expect(refused.statusCode).toBe(429)
    expect(refused.json().message).toMatch(/^Cannot invite a member: you made 3 invitations within the hour/)
    expect(await stored(owner.tenantId)).toBe(PER_USER)

    const admin = await api.addMember(owner, 'admin')
    expect((await invite(admin)).statusCode).toBe(201)
    const tenantFull = await invite(admin)
    expect(tenantFull.statusCode).toBe(429)
    expect(tenantFull.json().message).toMatch(/this farm made 4 invitations within the hour/)
    expect(await stored(owner.tenantId)).toBe(PER_TENANT)

    // Another tenant counts for itself.
    expect((await invite(await api.register())).statusCode).toBe(201)
  })

  test('refused requests do not use up the share: an operator\'s 403s leave the tenant its invitations', async () => {
    const owner = await api.register()
    const operator = await api.addMember(owner, 'operator')
    for (let i = 0; i < PER_TENANT + 1; i++) expect((await invite(operator)).statusCode).toBe(403)
    expect((await invite(owner)).statusCode).toBe(201)
  })
})

describe('POST /api/members/invitations: waiting invitations', () => {
  test('a tenant with the most invitations waiting gets a 409 saying how to make room; revoking one makes room for one, even when two race for it', async () => {
    // Default hourly limits, above the cap, so the cap is what stops them.
    const roomy = await startTestApi({ maxPendingInvitations: PENDING })
    try {
      const owner = await roomy.register()
      const admin = await roomy.addMember(owner, 'admin')
      const send = (s: Session) =>
        roomy.app.inject({ method: 'POST', url: '/api/members/invitations', headers: s.headers, payload: { email: `invitee-${randomUUID()}@example.com`, role: 'viewer' } })
      const made: string[] = []
      for (let i = 0; i < PENDING; i++) made.push((await send(owner)).json().invitation.id)
      const full = await send(admin)
      expect(full.statusCode).toBe(409)
      expect(full.json().message).toMatch(/^Cannot invite a member: this farm has 5 invitations waiting, the most it may have; revoke some/)

      expect((await roomy.app.inject({ method: 'DELETE', url: `/api/members/invitations/${made[0]}`, headers: owner.headers })).statusCode).toBe(204)
      const raced = await Promise.all([send(admin), send(owner)])
      expect(raced.map((r) => r.statusCode).sort()).toEqual([201, 409])
      const waiting = await roomy.app.knex('invitations').where({ tenant_id: owner.tenantId }).whereNull('revoked_at').count({ n: '*' }).first()
      expect(Number(waiting!.n)).toBe(PENDING)
    } finally {
      await roomy.close()
    }
  })
})
