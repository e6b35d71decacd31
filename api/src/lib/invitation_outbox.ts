/**
 * The outbox of invitation emails (table invitation_emails). A row is queued in the
 * invitation's transaction; the sender (plugins/app/invitation_mailer.ts) claims due
 * rows one at a time and marks each sent, due again later, or failed with a reason.
 * Rows hold no token and no mail text (see invitationToken in invitations.ts).
 */
import type { Knex } from 'knex'
import type { EmailDelivery } from '../schemas/members.ts'
import { openInvitationSql } from './invitations.ts'

/** What the sender needs to build and send one invitation's email. */
export interface EmailJob {
  invitationId: string
  /** This attempt's number, from 1. */
  attempt: number
  email: string
  role: string
  expiresAt: Date
  tenantName: string
  /** The stored SHA-256 of the invitation's token, to check the rebuilt one against. */
  tokenHash: string
}

export type OutboxRow = { status: 'queued' | 'sent' | 'failed'; last_error: string | null; sent_at: Date | null; attempts: number }

/** The columns of invitation_emails that an invitation's view reads (prefix them with the join's alias). */
export const DELIVERY_COLUMNS = ['status', 'last_error', 'sent_at', 'attempts'] as const

/**
 * How an invitation's email stands, for the API's answers.
 * @param row the invitation's outbox row, or null when it was not emailed
 */
export function deliveryView(row: OutboxRow | null): EmailDelivery {
  if (!row?.status) return { status: 'not_sent', detail: 'Not emailed (no mail server is set up): send the link yourself', sent_at: null, attempts: 0 }
  return { status: row.status, detail: row.last_error, sent_at: row.sent_at ? new Date(row.sent_at).toISOString() : null, attempts: row.attempts }
}

/** Queues an invitation's email; call it in the transaction that inserts the invitation. */
export async function queueInvitationEmail(trx: Knex.Transaction, invitation: { id: string; tenantId: string }): Promise<void> {
  await trx('invitation_emails').insert({ invitation_id: invitation.id, tenant_id: invitation.tenantId })
}

/** Why the email of a revoked invitation was not sent. */
export const REVOKED_REASON = 'The invitation was revoked before it could be emailed'

/**
 * Claims the next due email of an invitation still open (the sender's last check before it sends): its attempt is counted and it is not due again for
 * `leaseMs`, so another sender (this node or another) skips it meanwhile, and picks
 * it up again if this one dies before saying how the attempt went.
 */
export async function claimDueEmail(knex: Knex, leaseMs: number): Promise<EmailJob | undefined> {
  const { rows } = await knex.raw(
    `UPDATE invitation_emails o SET attempts = o.attempts + 1, next_attempt_at = now() + ? * interval '1 millisecond'
       FROM invitations i JOIN tenants t ON t.id = i.tenant_id
      WHERE o.invitation_id = (SELECT e.invitation_id FROM invitation_emails e JOIN invitations v ON v.id = e.invitation_id
                                WHERE e.status = 'queued' AND e.next_attempt_at <= now() AND ${openInvitationSql('v')}
                                ORDER BY e.next_attempt_at LIMIT 1
                                -- An invitation being accepted or revoked right now is locked: skipped, and failed by the next round.
                                FOR UPDATE OF e SKIP LOCKED FOR SHARE OF v SKIP LOCKED)
        AND i.id = o.invitation_id
  RETURNING o.invitation_id, o.attempts, i.email, i.role, i.expires_at, i.token_hash, t.name AS tenant_name`,
    [leaseMs],
  )
  const r = rows[0]
  if (!r) return undefined
  return { invitationId: r.invitation_id, attempt: r.attempts, email: r.email, role: r.role, expiresAt: new Date(r.expires_at), tenantName: r.tenant_name, tokenHash: r.token_hash }
}

/** The mail server took the email. */
export async function markEmailSent(knex: Knex, invitationId: string): Promise<void> {
  await knex('invitation_emails').where({ invitation_id: invitationId, status: 'queued' }).update({ status: 'sent', sent_at: knex.fn.now(), last_error: null })
}

/** The attempt failed for a reason that may pass; due again in `delayMs`. */
export async function markEmailRetry(knex: Knex, invitationId: string, reason: string, delayMs: number): Promise<void> {
  await knex('invitation_emails').where({ invitation_id: invitationId, status: 'queued' })
    .update({ last_error: reason, next_attempt_at: knex.raw("now() + ? * interval '1 millisecond'", [delayMs]) })
}

/** The email will never go: the mail server refused it for good, or the invitation ended. */
export async function markEmailFailed(knex: Knex, invitationId: string, reason: string): Promise<void> {
  await knex('invitation_emails').where({ invitation_id: invitationId, status: 'queued' }).update({ status: 'failed', last_error: reason })
}

/** Fails the queued emails of invitations accepted, revoked or expired meanwhile: a link to them opens nothing. */
export async function failEndedInvitations(knex: Knex): Promise<void> {
  await knex.raw(
    `UPDATE invitation_emails o SET status = 'failed', last_error = CASE
            WHEN i.revoked_at IS NOT NULL THEN '${REVOKED_REASON}'
            WHEN i.accepted_at IS NOT NULL THEN 'The invitation was accepted before it could be emailed'
            ELSE 'The invitation expired before it could be emailed; invite again' END
       FROM invitations i
      WHERE i.id = o.invitation_id AND o.status = 'queued' AND NOT (${openInvitationSql('i')})`,
  )
}

/** Milliseconds until the next queued email is due (0 if one is due now), or null when none is queued. */
export async function nextDueInMs(knex: Knex): Promise<number | null> {
  const { rows } = await knex.raw(
    `SELECT GREATEST(0, EXTRACT(EPOCH FROM (min(next_attempt_at) - now())) * 1000)::float8 AS ms FROM invitation_emails WHERE status = 'queued'`,
  )
  return rows[0]?.ms == null ? null : Number(rows[0].ms)
}
