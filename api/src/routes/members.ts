/**
 * A tenant's members and invitations (owner/admin): invite, list, revoke. Roles and sites of an existing
 * member change only through a ROLE_CHANGE change request (routes/changes.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { randomUUID } from 'node:crypto'
import { Conflict, NotFound } from '../errors.ts'
import { requireRole } from '../lib/access.ts'
import { appendAudit } from '../lib/audit.ts'
import { sha256Hex } from '../lib/device_tokens.ts'
import { InvitationRateLimiter, checkPendingRoom } from '../lib/invitation_limits.ts'
import { DELIVERY_COLUMNS, REVOKED_REASON, deliveryView, markEmailFailed, queueInvitationEmail, type OutboxRow } from '../lib/invitation_outbox.ts'
import { INVITATION_TTL_MS, checkGrantable, invitationToken, openInvitationSql } from '../lib/invitations.ts'
import { IdParams, commonErrors } from '../schemas/common.ts'
import { CreateInvitationBody, CreatedInvitationResponse, MemberListResponse, RevokedInvitationResponse } from '../schemas/members.ts'

type InvitationRow = { id: string; email: string; role: 'owner' | 'admin' | 'operator' | 'viewer'; allowed_site_ids: string[] | null; expires_at: Date; created_at: Date }
const INVITATION_COLUMNS = ['id', 'email', 'role', 'allowed_site_ids', 'expires_at', 'created_at'] as const
const invitationView = (r: InvitationRow, delivery: OutboxRow | null) => ({
  id: r.id, email: r.email, role: r.role, allowed_site_ids: r.allowed_site_ids,
  expires_at: new Date(r.expires_at).toISOString(), created_at: new Date(r.created_at).toISOString(),
  email_delivery: deliveryView(delivery),
})

const members: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)
  const limiter = new InvitationRateLimiter(app.config.invitationRateLimit, app.config.tenantInvitationRateLimit)

  app.post('/invitations', {
    schema: { body: CreateInvitationBody, response: { 201: CreatedInvitationResponse, ...commonErrors } },
  }, async (request, reply) => {
    const actor = request.actor
    requireRole(actor, 'admin', 'invite a member')
    const { email, role } = request.body
    const siteIds = request.body.allowed_site_ids ?? null
    await checkGrantable(app.knex, actor, role, siteIds, 'invite a member')
    limiter.take(actor)
    const id = randomUUID()
    const token = invitationToken(app.config.jwtSecret, id)
    const emailed = app.invitationMailer.enabled
    const { row, delivery } = await app.knex.transaction(async (trx) => {
      await checkPendingRoom(trx, actor.tenantId, app.config.maxPendingInvitations)
      const [inserted]: InvitationRow[] = await trx('invitations')
        .insert({
          id, tenant_id: actor.tenantId, email, role, allowed_site_ids: siteIds, token_hash: sha256Hex(token),
          expires_at: new Date(Date.now() + INVITATION_TTL_MS), created_by: actor.userId,
        })
        .returning(INVITATION_COLUMNS)
      // In the same transaction: an invitation is never without its email, nor an email without its invitation.
      if (emailed) await queueInvitationEmail(trx, { id, tenantId: actor.tenantId })
      // Ids and the role only: the email is personal data and stays out of the chain.
      await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: 'member.invite', targetType: 'invitation', targetId: id, details: { role, site_count: siteIds?.length ?? null, emailed } })
      return { row: inserted!, delivery: emailed ? { status: 'queued' as const, last_error: null, sent_at: null, attempts: 0 } : null }
    })
    if (!emailed) return reply.code(201).send({ invitation: invitationView(row, null), token })
    app.invitationMailer.wake()
    return reply.code(201).send({ invitation: invitationView(row, delivery) })
  })

  // The link stops working and a queued email is not sent; the row stays for the audit chain.
  app.delete('/invitations/:id', {
    schema: { params: IdParams, response: { 204: RevokedInvitationResponse, ...commonErrors } },
  }, async (request, reply) => {
    const actor = request.actor
    const action = 'revoke the invitation'
    requireRole(actor, 'admin', action)
    const { id } = request.params
    await app.knex.transaction(async (trx) => {
      // Locked, so an acceptance racing this one either happened before or finds it revoked.
      const invitation: Pick<InvitationRow, 'role' | 'allowed_site_ids'> & { accepted_at: Date | null; revoked_at: Date | null } | undefined = await trx('invitations')
        .where({ id, tenant_id: actor.tenantId }).forUpdate().first('role', 'allowed_site_ids', 'accepted_at', 'revoked_at')
      if (!invitation) throw new NotFound('Invitation')
      if (invitation.accepted_at) throw new Conflict(action, 'it was accepted already; change the member through a change request instead')
      if (invitation.revoked_at) throw new Conflict(action, 'it was revoked already')
      // Nobody takes back what they could not have handed out: a site-limited admin, say, another site's invitation.
      await checkGrantable(trx, actor, invitation.role, invitation.allowed_site_ids, action)
      await trx('invitations').where({ id }).update({ revoked_at: trx.fn.now(), revoked_by: actor.userId })
      await markEmailFailed(trx, id, REVOKED_REASON)
      await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: 'member.invite_revoke', targetType: 'invitation', targetId: id, details: { role: invitation.role } })
    })
    return reply.code(204).send(null)
  })

  app.get('/', { schema: { response: { 200: MemberListResponse, ...commonErrors } } }, async (request) => {
    const actor = request.actor
    requireRole(actor, 'admin', 'list members')
    const rows: { user_id: string; email: string; role: InvitationRow['role']; allowed_site_ids: string[] | null; created_at: Date }[] = await app.knex('memberships as m')
      .join('users as u', 'u.id', 'm.user_id')
      .where('m.tenant_id', actor.tenantId)
      .orderBy('m.created_at')
      .select('m.user_id', 'u.email', 'm.role', 'm.allowed_site_ids', 'm.created_at')
    const pending: (InvitationRow & OutboxRow)[] = await app.knex('invitations as i')
      .leftJoin('invitation_emails as o', 'o.invitation_id', 'i.id')
      .where('i.tenant_id', actor.tenantId).whereRaw(openInvitationSql('i'))
      .orderBy('i.created_at').select([...INVITATION_COLUMNS.map((c) => `i.${c}`), ...DELIVERY_COLUMNS.map((c) => `o.${c}`)])
    return {
      members: rows.map((r) => ({ user_id: r.user_id, email: r.email, role: r.role, allowed_site_ids: r.allowed_site_ids, joined_at: new Date(r.created_at).toISOString() })),
      invitations: pending.map((r) => invitationView(r, r.status ? r : null)),
    }
  })
}

export default members
