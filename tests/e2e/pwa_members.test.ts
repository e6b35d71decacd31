/**
 * Members in the PWA, in Chromium against the real API on PostgreSQL: the owner
 * invites an operator and gets a one-time link with the token in its fragment; a
 * second browser profile opens it, accepts with a new password and is signed in as
 * that operator; the token reaches no table (only its hash). Changing the member to
 * viewer is a ROLE_CHANGE request a second admin approves and the owner applies.
 * Someone with an account on another farm joins with their own password, and a
 * revoked invitation's link opens nothing.
 */
import assert from 'node:assert/strict'
import { createHash, randomUUID } from 'node:crypto'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, test } from 'vitest'
import type { Session } from '../support/api.ts'
import { startPwaHarness, type PwaHarness } from './support/pwa_harness.ts'
import { signUpOwner } from './support/pwa_steps.ts'
import { databaseText } from '../support/database_text.ts'

const OWNER_EMAIL = `owner-${randomUUID()}@example.com`
const INVITEE_EMAIL = `newcomer-${randomUUID()}@example.com`
const PASSPHRASE = 'copper lantern 58 misty valley'

let harness: PwaHarness
let page: Page
let owner: Session
let inviteToken: string

const knex = () => harness.api.app.knex
const memberRow = (p: Page) => p.locator('li[data-member]', { hasText: INVITEE_EMAIL })

beforeAll(async () => {
  harness = await startPwaHarness()
  ;({ page } = await harness.newPhone())
  await signUpOwner(page, { email: OWNER_EMAIL, password: 'account password 5678', farm: 'Members Farm', passphrase: PASSPHRASE, site: 'Hall M' })

  const user = await knex()('users').where({ email: OWNER_EMAIL }).first('id')
  const tenantId = (await knex()('memberships').where({ user_id: user.id }).first('tenant_id')).tenant_id
  const token = harness.api.app.jwt.sign({ sub: user.id, tid: tenantId })
  owner = { token, userId: user.id, tenantId, headers: { authorization: `Bearer ${token}` } }
}, 90_000)

afterAll(async () => {
  await harness?.close()
})

describe('members in the PWA', () => {
  test('an invitation link carries its token in the fragment; a second profile accepts it with a new password and is signed in as operator; no table holds the token', async () => {
    await page.getByRole('button', { name: 'Members' }).click()
    const form = page.getByRole('form', { name: 'Invite a member' })
    await form.getByLabel('Their email').fill(INVITEE_EMAIL)
    await form.getByLabel('Role').selectOption('operator')
    await form.getByRole('button', { name: 'Create invitation link' }).click()
    const link = (await page.locator('[data-invite-link]').textContent())!.trim()
    const match = /^(\S+)\/accept#token=(hii_[A-Za-z0-9_-]{43})$/.exec(link)
    assert.ok(match, `a fragment link, no query string: ${link}`)
    assert.equal(match[1], new URL(harness.baseUrl).origin)
    inviteToken = match[2]!
    await page.getByText('expires in 7 days').waitFor()
    await page.getByRole('button', { name: 'Done' }).click()
    assert.equal(await page.locator('[data-invite-link]').count(), 0, 'the link is gone once dismissed')
    await page.locator('li[data-invitation]', { hasText: INVITEE_EMAIL }).getByText('operator · Every site').waitFor()

    const { page: invitee } = await harness.newPhone()
    await invitee.goto(link)
    assert.equal(new URL(invitee.url()).hash, '', 'the token leaves the address bar once read')
    await invitee.getByLabel('New account password').fill('invitee password 2468')
    await invitee.getByLabel('Type the password again').fill('invitee password 2468')
    await invitee.getByRole('button', { name: 'Accept and sign in' }).click()
    // The farm already has a keyring: the new member unlocks it with the passphrase the owner shared.
    await invitee.getByRole('heading', { name: 'Unlock Members Farm' }).waitFor()
    await invitee.getByLabel('Encryption passphrase').fill(PASSPHRASE)
    await invitee.getByRole('button', { name: 'Unlock' }).click()
    await invitee.getByRole('button', { name: /Hall M/ }).waitFor()
    // Operators read pool keys but do not manage members.
    await invitee.getByRole('button', { name: 'Pool API keys' }).waitFor()
    assert.equal(await invitee.getByRole('button', { name: 'Members' }).count(), 0)
    const joined = await knex()('memberships as m').join('users as u', 'u.id', 'm.user_id').where('u.email', INVITEE_EMAIL).first('m.role', 'm.tenant_id')
    assert.deepEqual(joined, { role: 'operator', tenant_id: owner.tenantId })

    const hash = createHash('sha256').update(inviteToken).digest('hex')
    assert.equal(Number((await knex()('invitations').where({ token_hash: hash }).whereNotNull('accepted_at').count('* as n'))[0]!.n), 1, 'the server kept the hash and marked it used')
    const db = await databaseText(knex())
    assert.ok(!db.includes(inviteToken), 'no table holds the invitation token')
    assert.ok(!db.includes(inviteToken.slice(4)), 'nor its random part')
  }, 40_000)

  test('a role change is a ROLE_CHANGE request: filed with a reason, approved by a second admin, applied by the owner, then the list shows viewer', async () => {
    await page.getByRole('button', { name: 'Refresh' }).click()
    const row = memberRow(page)
    await row.getByText('operator ·').waitFor()
    await row.getByRole('button', { name: 'Change role or sites…' }).click()
    await row.getByLabel('Role').selectOption('viewer')
    await row.getByLabel('Why this change?').fill('moves to the night shift, reads only')
    await row.getByRole('button', { name: 'Request the change' }).click()
    await page.locator('li[data-member][data-change="PENDING"]', { hasText: INVITEE_EMAIL }).waitFor()
    const invitee = await knex()('users').where({ email: INVITEE_EMAIL }).first('id')
    const request = await knex()('change_requests').where({ target_id: invitee.id, request_type: 'ROLE_CHANGE' }).first('id', 'status', 'requested_action')
    assert.equal(request.status, 'PENDING')
    assert.equal(request.requested_action.role, 'viewer')
    assert.equal((await knex()('memberships').where({ user_id: invitee.id }).first('role')).role, 'operator', 'nothing changes before approval')

    const admin = await harness.api.addMember(owner, 'admin')
    const approved = await harness.api.app.inject({ method: 'POST', url: `/api/changes/${request.id}/approve`, headers: admin.headers, payload: {} })
    assert.equal(approved.statusCode, 200, approved.body)

    await page.getByRole('button', { name: 'Refresh' }).click()
    await row.getByRole('button', { name: 'Apply now' }).click()
    await page.locator('li[data-member][data-role="viewer"]', { hasText: INVITEE_EMAIL }).waitFor()
    assert.equal(await row.getByRole('button', { name: 'Apply now' }).count(), 0)
    assert.equal((await knex()('memberships').where({ user_id: invitee.id }).first('role')).role, 'viewer')
    assert.equal((await knex()('change_requests').where({ id: request.id }).first('status')).status, 'EXECUTED')
  }, 30_000)

  /** The owner invites `email` as `role` on the Members screen and returns the link shown once. */
  async function inviteLink(email: string, role: string): Promise<string> {
    const form = page.getByRole('form', { name: 'Invite a member' })
    await form.getByLabel('Their email').fill(email)
    await form.getByLabel('Role').selectOption(role)
    await form.getByRole('button', { name: 'Create invitation link' }).click()
    const link = (await page.locator('[data-invite-link]').textContent())!.trim()
    await page.getByRole('button', { name: 'Done' }).click()
    return link
  }

  test('someone with an account on another farm joins with their own password; a revoked link opens nothing', async () => {
    const EXISTING = `other-farm-${randomUUID()}@example.com`
    const registered = await harness.api.app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: EXISTING, password: 'their own password 1357', tenantName: 'Their Farm' } })
    assert.equal(registered.statusCode, 201, registered.body)
    // Still on the Members screen from the tests before.
    await page.getByRole('form', { name: 'Invite a member' }).waitFor()
    const joinLink = await inviteLink(EXISTING, 'viewer')
    const { page: existing } = await harness.newPhone()
    await existing.goto(joinLink)
    await existing.getByRole('tab', { name: 'I already have an account' }).click()
    await existing.getByLabel('Your account password').fill('their own password 1357')
    await existing.getByRole('button', { name: 'Accept and sign in' }).click()
    await existing.getByRole('heading', { name: 'Unlock Members Farm' }).waitFor()
    await existing.getByLabel('Encryption passphrase').fill(PASSPHRASE)
    await existing.getByRole('button', { name: 'Unlock' }).click()
    await existing.getByRole('button', { name: /Hall M/ }).waitFor()
    const memberships = await knex()('memberships as m').join('users as u', 'u.id', 'm.user_id').where('u.email', EXISTING).orderBy('m.role').select('m.role', 'm.tenant_id')
    assert.deepEqual(memberships.map((m) => m.role), ['owner', 'viewer'], 'their own farm, and this one as viewer')
    assert.ok(memberships.some((m) => m.tenant_id === owner.tenantId && m.role === 'viewer'))

    const REVOKED = `revoked-${randomUUID()}@example.com`
    const revokedLink = await inviteLink(REVOKED, 'operator')
    const pending = page.locator('li[data-invitation]', { hasText: REVOKED })
    await pending.getByRole('button', { name: `Revoke the invitation of ${REVOKED}` }).click()
    await pending.waitFor({ state: 'detached' })
    const { page: late } = await harness.newPhone()
    await late.goto(revokedLink)
    await late.getByLabel('New account password').fill('late comer password 8642')
    await late.getByLabel('Type the password again').fill('late comer password 8642')
    await late.getByRole('button', { name: 'Accept and sign in' }).click()
    await late.getByRole('alert').getByText(/revoked/).waitFor()
    assert.equal(await knex()('users').where({ email: REVOKED }).first(), undefined, 'no account was made')
  }, 60_000)
})
