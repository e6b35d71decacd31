/** Invitation emails go out through the outbox: once, after faults too, and without the token anywhere but the mail. */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startTestApi, type Session, type TestApi } from '../../../../tests/support/api.ts'
import { databaseText } from '../../../../tests/support/database_text.ts'
import { startSmtpSink, type SmtpSink } from '../../../../tests/support/smtp_sink.ts'
import { LOG_SERIALIZERS, REDACTED_PATHS, buildApp } from '../../app.ts'
import { loadConfig } from '../../config.ts'
import { freePort } from '../../db/embedded_postgres.ts'
import { REVOKED_REASON, claimDueEmail, failEndedInvitations, queueInvitationEmail } from '../../lib/invitation_outbox.ts'

let api: TestApi
let owner: Session
let sink: SmtpSink | undefined
let smtpPort: number
const logs: string[] = []

const invite = (email: string) =>
  api.app.inject({ method: 'POST', url: '/api/members/invitations', headers: owner.headers, payload: { email, role: 'operator' } })
const listed = async (id: string) =>
  (await api.app.inject({ method: 'GET', url: '/api/members', headers: owner.headers })).json().invitations.find((i: { id: string }) => i.id === id)
const tokenIn = (text: string) => /https:\/\/farm\.example\/accept#token=(hii_[A-Za-z0-9_-]{43})/.exec(text)?.[1]
// The sink answers these recipients with a permanent 550.
const refused = (address: string) => address.startsWith('refused-')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (ok(value)) return value
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; last: ${JSON.stringify(value)}`)
    await sleep(25)
  }
}

beforeAll(async () => {
  smtpPort = await freePort()
  sink = await startSmtpSink(smtpPort, refused)
  api = await startTestApi(
    { smtpUrl: `smtp://127.0.0.1:${smtpPort}`, mailFrom: 'Farm <farm@example.com>', publicUrl: 'https://farm.example', mailRetryMs: 50 },
    { level: 'trace', stream: { write: (line: string) => void logs.push(line) }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers: LOG_SERIALIZERS },
  )
  owner = await api.register()
})
afterAll(async () => {
  await api.close()
  await sink?.close()
})

describe('POST /api/members/invitations with a mail server', () => {
  test('the invitee receives exactly one email, whose link joins the farm; the token is in no log and no table', async () => {
    const email = `invitee-${randomUUID()}@example.com`
    const res = await invite(email)
    expect(res.statusCode).toBe(201)
    expect(res.json().token).toBeUndefined()
    expect(res.json().invitation.email_delivery).toMatchObject({ status: 'queued', detail: null })
    const id = res.json().invitation.id

    const [mail] = await sink!.waitForMails(1)
    expect(mail!.to).toEqual([email])
    expect(mail!.from).toBe('farm@example.com')
    const token = tokenIn(mail!.text)!
    expect(token).toBeDefined()
    expect((await until(() => listed(id), (i) => i.email_delivery.status === 'sent', 'sent')).email_delivery).toMatchObject({ attempts: 1, detail: null })

    // Another round of the sender (woken by another invitation) does not send it again.
    await invite(`refused-${randomUUID()}@example.com`)
    await sleep(300)
    expect(sink!.mails.filter((m) => m.to.includes(email))).toHaveLength(1)

    const joined = await api.app.inject({ method: 'POST', url: '/api/auth/accept-invitation', payload: { token, password: 'a long enough password' } })
    expect(joined.statusCode).toBe(200)
    expect(joined.json().tenant).toMatchObject({ id: owner.tenantId, role: 'operator' })

    const secret = token.slice(4)
    const stored = await databaseText(api.app.knex, ['invitations', 'invitation_emails', 'audit_events', 'memberships'])
    // The scan reads the rows this invitation made.
    expect(stored).toContain(id)
    expect(stored).not.toContain(secret)
    expect(logs.some((l) => l.includes('invitation email sent'))).toBe(true)
    expect(logs.join('\n')).not.toContain(secret)
    expect(logs.join('\n')).not.toContain(email)
  })

  test('an email queued while the mail server is down goes out once it is back: nothing lost, not sent twice', async () => {
    await sink!.close()
    sink = undefined
    const email = `later-${randomUUID()}@example.com`
    const id = (await invite(email)).json().invitation.id
    const waiting = await until(() => listed(id), (i) => i.email_delivery.attempts >= 3, 'three failed attempts')
    expect(waiting.email_delivery).toMatchObject({ status: 'queued', detail: expect.stringMatching(/Cannot reach the mail server/) })

    sink = await startSmtpSink(smtpPort, refused)
    const [mail] = await sink.waitForMails(1)
    expect(mail!.to).toEqual([email])
    expect(tokenIn(mail!.text)).toBeDefined()
    const sent = await until(() => listed(id), (i) => i.email_delivery.status === 'sent', 'sent')
    expect(sent.email_delivery.detail).toBeNull()
    await sleep(300)
    expect(sink.mails).toHaveLength(1)
    expect(logs.join('\n')).not.toContain(tokenIn(mail!.text)!.slice(4))
  })

  test('an address the mail server refuses for good is marked failed with the reason, and not retried', async () => {
    const email = `refused-${randomUUID()}@example.com`
    const id = (await invite(email)).json().invitation.id
    const failed = await until(() => listed(id), (i) => i.email_delivery.status === 'failed', 'failed')
    expect(failed.email_delivery).toMatchObject({ attempts: 1, detail: expect.stringMatching(/^The mail server refused the email: 550/) })
    // The server's answer named the address: the reason keeps it out.
    expect(failed.email_delivery.detail).not.toContain(email)
    await sleep(300)
    expect((await listed(id)).email_delivery.attempts).toBe(1)
  })
})

describe('the outbox across a restart', () => {
  test('an email queued by a process that could not send it is sent once by the next process on the same database', async () => {
    // The database's own API sends nothing (no SMTP_URL): only the two processes below do.
    const holder = await startTestApi()
    const farm = await holder.register()
    const config = { ...holder.app.config, mailFrom: 'farm@example.com', publicUrl: 'https://farm.example', mailRetryMs: 50 }
    const email = `restart-${randomUUID()}@example.com`
    const first = await buildApp({ ...config, smtpUrl: `smtp://127.0.0.1:${await freePort()}` }, false)
    const other = await startSmtpSink()
    try {
      await first.ready()
      const id = (await first.inject({ method: 'POST', url: '/api/members/invitations', headers: farm.headers, payload: { email, role: 'viewer' } })).json().invitation.id
      const row = () => holder.app.knex('invitation_emails').where({ invitation_id: id }).first()
      await until(row, (r) => r.attempts >= 2, 'two failed attempts')
      await first.close()

      const next = await buildApp({ ...config, smtpUrl: other.url }, false)
      try {
        await next.ready()
        const [mail] = await other.waitForMails(1)
        expect(mail!.to).toEqual([email])
        expect(tokenIn(mail!.text)).toBeDefined()
        await until(row, (r) => r.status === 'sent', 'sent')
        await sleep(300)
        expect(other.mails).toHaveLength(1)
      } finally {
        await next.close()
      }
    } finally {
      await first.close()
      await other.close()
      await holder.close()
    }
  })
})

describe('the outbox and ended invitations', () => {
  test('the sender claims no email of an invitation accepted, revoked or expired after it was queued, and fails each with its reason', async () => {
    // No SMTP_URL: no sender runs, so only the calls below touch the outbox.
    const holder = await startTestApi()
    try {
      const farm = await holder.register()
      const knex = holder.app.knex
      const make = async () => (await holder.app.inject({ method: 'POST', url: '/api/members/invitations', headers: farm.headers, payload: { email: `ended-${randomUUID()}@example.com`, role: 'viewer' } })).json().invitation.id as string
      const ids = { accepted: await make(), revoked: await make(), expired: await make(), open: await make() }
      await knex.transaction(async (trx) => {
        for (const id of Object.values(ids)) await queueInvitationEmail(trx, { id, tenantId: farm.tenantId })
      })
      // Ended after queueing, as a concurrent acceptance, a revocation or the clock does.
      await knex('invitations').where({ id: ids.accepted }).update({ accepted_at: knex.fn.now() })
      await knex('invitations').where({ id: ids.revoked }).update({ revoked_at: knex.fn.now() })
      await knex('invitations').where({ id: ids.expired }).update({ expires_at: new Date(Date.now() - 1000) })

      const claimed: string[] = []
      for (let job = await claimDueEmail(knex, 60_000); job; job = await claimDueEmail(knex, 60_000)) claimed.push(job.invitationId)
      expect(claimed).toEqual([ids.open])

      await failEndedInvitations(knex)
      const row = (id: string) => knex('invitation_emails').where({ invitation_id: id }).first('status', 'last_error', 'attempts')
      expect(await row(ids.accepted)).toEqual({ status: 'failed', last_error: expect.stringMatching(/accepted/), attempts: 0 })
      expect(await row(ids.revoked)).toEqual({ status: 'failed', last_error: REVOKED_REASON, attempts: 0 })
      expect(await row(ids.expired)).toEqual({ status: 'failed', last_error: expect.stringMatching(/expired/), attempts: 0 })
      expect(await row(ids.open)).toMatchObject({ status: 'queued', attempts: 1 })
    } finally {
      await holder.close()
    }
  })

  test('revoking an invitation whose email waits for the mail server fails the email: it is never sent', async () => {
    await sink!.close()
    sink = undefined
    try {
      const email = `revoked-${randomUUID()}@example.com`
      const id = (await invite(email)).json().invitation.id
      await until(() => api.app.knex('invitation_emails').where({ invitation_id: id }).first(), (r) => r.attempts >= 1, 'a failed attempt')
      const res = await api.app.inject({ method: 'DELETE', url: `/api/members/invitations/${id}`, headers: owner.headers })
      expect(res.statusCode).toBe(204)
      expect(await api.app.knex('invitation_emails').where({ invitation_id: id }).first('status', 'last_error')).toEqual({ status: 'failed', last_error: REVOKED_REASON })
      sink = await startSmtpSink(smtpPort, refused)
      // Woken by another invitation, the sender sends that one and not the revoked one.
      const other = `after-${randomUUID()}@example.com`
      await invite(other)
      await sink.waitForMails(1)
      await sleep(300)
      expect(sink.mails.map((m) => m.to)).toEqual([[other]])
    } finally {
      sink ??= await startSmtpSink(smtpPort, refused)
    }
  })
})

describe('the link in the email', () => {
  test("opens PUBLIC_URL whatever the inviter's request says its Host and scheme are", async () => {
    const email = `host-${randomUUID()}@example.com`
    const res = await api.app.inject({
      method: 'POST', url: '/api/members/invitations', headers: { ...owner.headers, host: 'attacker.example', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'attacker.example' },
      payload: { email, role: 'viewer' },
    })
    expect(res.statusCode).toBe(201)
    const mail = await until(async () => sink?.mails.find((m) => m.to.includes(email)), Boolean, 'the email')
    expect(tokenIn(mail!.text)).toBeDefined()
    expect(mail!.text).not.toContain('attacker.example')
  })
})

describe('configuration', () => {
  test('a mail server without a sender, or without PUBLIC_URL for its links, is refused at start', () => {
    expect(() => loadConfig({ SMTP_URL: 'smtp://127.0.0.1:2525' })).toThrow(/MAIL_FROM: needed with SMTP_URL/)
    expect(() => loadConfig({ SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'a@b.c' })).toThrow(/PUBLIC_URL: needed with SMTP_URL/)
    expect(() => loadConfig({ SMTP_URL: 'http://mail', MAIL_FROM: 'a@b.c' })).toThrow(/SMTP_URL/)
    // Matches the pattern, but no URL parser takes it: refused now rather than failing every email.
    expect(() => loadConfig({ SMTP_URL: 'smtp://mail', MAIL_FROM: 'a@b.c', PUBLIC_URL: 'https://farm.example:99999' })).toThrow(/PUBLIC_URL: not a usable URL/)
    // Without a mail server the inviter is shown the link, made from the address the browser uses.
    expect(loadConfig({})).not.toHaveProperty('publicUrl')
    expect(loadConfig({ SMTP_URL: 'smtp://u:p@mail:587', MAIL_FROM: 'a@b.c', PUBLIC_URL: 'https://farm.example' })).toMatchObject({ publicUrl: 'https://farm.example' })
  })

  test('an app built in code with a mail server and no usable PUBLIC_URL does not start', async () => {
    for (const publicUrl of [undefined, 'https://farm.example:99999']) {
      await expect(buildApp({ ...api.app.config, smtpUrl: 'smtp://127.0.0.1:9', mailFrom: 'farm@example.com', publicUrl }, false))
        .rejects.toThrow(/^Cannot start: invalid configuration \(PUBLIC_URL: /)
    }
  })
})
