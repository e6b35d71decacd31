/**
 * A tenant's members and invitations (owner/admin). Roles and sites of an existing
 * member change only through a ROLE_CHANGE change request (routes/changes.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { requireRole } from '../lib/access.ts'
import { appendAudit } from '../lib/audit.ts'
import { sha256Hex } from '../lib/device_tokens.ts'
import { INVITATION_TTL_MS, checkGrantable, newInvitationToken } from '../lib/invitations.ts'
import { commonErrors } from '../schemas/common.ts'
import { CreateInvitationBody, CreatedInvitationResponse, MemberListResponse } from '../schemas/members.ts'

type InvitationRow = { id: string; email: string; role: 'owner' | 'admin' | 'operator' | 'viewer'; allowed_site_ids: string[] | null; expires_at: Date; created_at: Date }
const INVITATION_COLUMNS = ['id', 'email', 'role', 'allowed_site_ids', 'expires_at', 'created_at'] as const
const invitationView = (r: InvitationRow) => ({
  id: r.id, email: r.email, role: r.role, allowed_site_ids: r.allowed_site_ids,
  expires_at: new Date(r.expires_at).toISOString(), created_at: new Date(r.created_at).toISOString(),
})

const members: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  app.post('/invitations', {
    schema: { body: CreateInvitationBody, response: { 201: CreatedInvitationResponse, ...commonErrors } },
  }, async (request, reply) => {
    const actor = request.actor
    requireRole(actor, 'admin', 'invite a member')
    const { email, role } = request.body
    const siteIds = request.body.allowed_site_ids ?? null
    await checkGrantable(app.knex, actor, role, siteIds, 'invite a member')
    const token = newInvitationToken()
    const row: InvitationRow = await app.knex.transaction(async (trx) => {
      const [inserted] = await trx('invitations')
        .insert({
          tenant_id: actor.tenantId, email, role, allowed_site_ids: siteIds, token_hash: sha256Hex(token),
          expires_at: new Date(Date.now() + INVITATION_TTL_MS), created_by: actor.userId,
        })
        .returning(INVITATION_COLUMNS)
      // Ids and the role only: the email is personal data and stays out of the chain.
      await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: 'member.invite', targetType: 'invitation', targetId: inserted.id, details: { role, site_count: siteIds?.length ?? null } })
      return inserted
    })
    return reply.code(201).send({ invitation: invitationView(row), token })
  })

  app.get('/', { schema: { response: { 200: MemberListResponse, ...commonErrors } } }, async (request) => {
    const actor = request.actor
    requireRole(actor, 'admin', 'list members')
    const rows: { user_id: string; email: string; role: InvitationRow['role']; allowed_site_ids: string[] | null; created_at: Date }[] = await app.knex('memberships as m')
      .join('users as u', 'u.id', 'm.user_id')
      .where('m.tenant_id', actor.tenantId)
      .orderBy('m.created_at')
      .select('m.user_id', 'u.email', 'm.role', 'm.allowed_site_ids', 'm.created_at')
    const pending: InvitationRow[] = await app.knex('invitations')
      .where({ tenant_id: actor.tenantId }).whereNull('accepted_at').andWhere('expires_at', '>', app.knex.fn.now())
      .orderBy('created_at').select(INVITATION_COLUMNS)
    return {
      members: rows.map((r) => ({ user_id: r.user_id, email: r.email, role: r.role, allowed_site_ids: r.allowed_site_ids, joined_at: new Date(r.created_at).toISOString() })),
      invitations: pending.map(invitationView),
    }
  })
}

export default members
