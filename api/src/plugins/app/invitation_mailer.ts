/**
 * Sends the invitation emails of the outbox (lib/invitation_outbox.ts) while the API
 * runs, when SMTP_URL is set. Woken when an invitation is queued, and by a timer for
 * retries and for rows another node queued or left behind. An email the mail server
 * did not take is retried with a doubling delay (from MAIL_RETRY_MS, up to an hour)
 * until it goes, the server refuses it for good (5xx), or the invitation expires.
 *
 * Delivery is at least once, not exactly once: a node that dies after the mail server
 * took an email but before marking it sent leaves the row to be sent again when its
 * lease passes. Every copy carries the same Message-ID, so mail systems can fold them.
 * Logs name the invitation id and the reason, never the address, link or token.
 */
import fp from 'fastify-plugin'
import { createTransport } from 'nodemailer'
import { mailSettings } from '../../config.ts'
import { sha256Hex } from '../../lib/device_tokens.ts'
import { describeMailFailure, invitationLink, invitationMessage } from '../../lib/invitation_mail.ts'
import {
  claimDueEmail, failEndedInvitations, markEmailFailed, markEmailRetry, markEmailSent, nextDueInMs, type EmailJob,
} from '../../lib/invitation_outbox.ts'
import { invitationToken } from '../../lib/invitations.ts'

export interface InvitationMailer {
  /** Whether invitations are emailed (SMTP_URL is set). */
  readonly enabled: boolean
  /** Sends what is due now instead of at the next timer (call it once the email's row is committed). */
  wake(): void
}

declare module 'fastify' {
  interface FastifyInstance {
    invitationMailer: InvitationMailer
  }
}

// Longer than the slowest attempt can take (the SMTP timeouts below), so a live sender keeps its row.
const LEASE_MS = 120_000
const POLL_MS = 10_000
const MAX_RETRY_MS = 3600_000

export default fp(
  async (app) => {
    const { mailRetryMs, jwtSecret } = app.config
    // Checked by loadConfig too; again here for a configuration built in code.
    const mail = mailSettings(app.config)
    if (!mail) {
      app.decorate('invitationMailer', { enabled: false, wake: () => {} })
      return
    }
    const { publicUrl } = mail
    const messageHost = new URL(publicUrl).hostname
    // nodemailer's own logger stays off: at debug level it prints whole messages, links included.
    const transport = createTransport({ url: mail.smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000, logger: false, debug: false }, { from: mail.mailFrom })

    let timer: NodeJS.Timeout | undefined
    let running: Promise<void> | undefined
    let again = false
    let closed = false

    const schedule = (ms: number) => {
      clearTimeout(timer)
      timer = setTimeout(wake, Math.max(10, ms))
      timer.unref()
    }

    async function deliver(job: EmailJob): Promise<void> {
      const token = invitationToken(jwtSecret, job.invitationId)
      if (sha256Hex(token) !== job.tokenHash) {
        app.log.warn({ invitation_id: job.invitationId }, 'invitation email: the server secret changed since it was queued; not sent')
        return markEmailFailed(app.knex, job.invitationId, 'The server secret changed since the invitation was made, so its link cannot be rebuilt; invite again')
      }
      let message: { to: string; subject: string; text: string; messageId: string }
      try {
        message = { to: job.email, ...invitationMessage(job, invitationLink(publicUrl, token)), messageId: `<${job.invitationId}.invitation@${messageHost}>` }
      } catch (err) {
        // Nothing the mail server did: another attempt would fail the same way, so it is not retried.
        // Its message stays out of the log: it may quote the link, token included.
        app.log.warn({ invitation_id: job.invitationId, err_type: (err as Error).name }, 'invitation email: cannot build it; not sent')
        return markEmailFailed(app.knex, job.invitationId, 'Cannot build the email; invite again')
      }
      let failure: ReturnType<typeof describeMailFailure> | undefined
      try {
        await transport.sendMail(message)
      } catch (err) {
        failure = describeMailFailure(err)
      }
      if (!failure) {
        await markEmailSent(app.knex, job.invitationId)
        app.log.info({ invitation_id: job.invitationId, attempt: job.attempt }, 'invitation email sent')
      } else if (failure.permanent) {
        await markEmailFailed(app.knex, job.invitationId, failure.reason)
        app.log.warn({ invitation_id: job.invitationId, attempt: job.attempt, reason: failure.reason }, 'invitation email refused; not retried')
      } else {
        const delay = Math.min(MAX_RETRY_MS, mailRetryMs * 2 ** (job.attempt - 1)) * (0.75 + Math.random() / 2)
        await markEmailRetry(app.knex, job.invitationId, failure.reason, delay)
        app.log.warn({ invitation_id: job.invitationId, attempt: job.attempt, retry_in_ms: Math.round(delay), reason: failure.reason }, 'cannot send an invitation email; will retry')
      }
    }

    async function round(): Promise<void> {
      try {
        await failEndedInvitations(app.knex)
        for (let job = await claimDueEmail(app.knex, LEASE_MS); job && !closed; job = await claimDueEmail(app.knex, LEASE_MS)) await deliver(job)
        const due = await nextDueInMs(app.knex)
        if (!closed) schedule(Math.min(due ?? POLL_MS, POLL_MS))
      } catch (err) {
        // The database is down, say: the rows wait, and a claimed one is due again after its lease.
        app.log.warn({ err: { message: (err as Error).message } }, 'invitation emails: cannot read the outbox; will retry')
        if (!closed) schedule(POLL_MS)
      }
    }

    function wake(): void {
      if (closed) return
      if (running) {
        again = true
        return
      }
      running = round().finally(() => {
        running = undefined
        if (again) {
          again = false
          wake()
        }
      })
    }

    app.decorate('invitationMailer', { enabled: true, wake })
    // Emails queued before a restart go out at start.
    app.addHook('onReady', async () => wake())
    app.addHook('preClose', async () => {
      closed = true
      clearTimeout(timer)
      // An attempt still talking to a slow mail server is left to its lease rather than holding up shutdown.
      await Promise.race([running, new Promise((done) => setTimeout(done, 5_000).unref())])
      transport.close()
    })
  },
  { name: 'invitation-mailer', dependencies: ['db', 'config'] },
)
