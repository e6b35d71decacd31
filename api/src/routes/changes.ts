/**
 * Four-eyes change requests (DESIGN.md: "sensitive changes go through a change
 * request, requester ≠ approver"): file, list, approve, reject, execute.
 * Filing needs operator or above; approving needs owner/admin and someone other
 * than the requester (and other than the member whose role changes); executing
 * needs owner/admin. Every step is in the audit chain.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { BadInput, Conflict, Forbidden } from '../errors.ts'
import { canSeeSite, requireRole } from '../lib/access.ts'
import { appendAudit } from '../lib/audit.ts'
import { checkTarget, performChange } from '../lib/change_actions.ts'
import { CHANGE_REQUEST_TTL_MS, changeView, expireDue, lockForTransition, transition, type ChangeRow } from '../lib/change_requests.ts'
import { refusePlaintext } from '../lib/validation.ts'
import type { Actor } from '../plugins/app/auth.ts'
import { ChangeListQuery, ChangeListResponse, ChangeView, CreateChangeBody, ExecuteChangeBody, TARGET_OF } from '../schemas/changes.ts'
import { IdParams, commonErrors } from '../schemas/common.ts'

const changes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  const audit = (trx: Parameters<typeof appendAudit>[0], actor: Actor, action: string, id: string, details: Record<string, unknown> = {}) =>
    appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action, targetType: 'change_request', targetId: id, details })

  app.post('/', {
    schema: { body: CreateChangeBody, response: { 201: ChangeView, ...commonErrors } },
    // A request is read by other people and kept: no secret belongs in it.
    preValidation: async (request) => refusePlaintext(request.body, 'file a change request'),
  }, async (request, reply) => {
    const actor = request.actor
    const { request_type, target_type, target_id, reason, requested_action } = request.body
    requireRole(actor, 'operator', 'file a change request')
    if (TARGET_OF[request_type] !== target_type) {
      throw new BadInput('file a change request', `a ${request_type} request targets a ${TARGET_OF[request_type]}, not a ${target_type}`)
    }
    await checkTarget(app.knex, actor, request_type, target_id, requested_action, 'file a change request')
    const row: ChangeRow = await app.knex.transaction(async (trx) => {
      await expireDue(trx, actor.tenantId)
      const open = await trx('change_requests')
        .where({ tenant_id: actor.tenantId, request_type, target_id }).whereIn('status', ['PENDING', 'APPROVED']).first('id')
      if (open) throw new Conflict('file a change request', `request ${open.id} for the same change is still open`)
      const [inserted] = await trx('change_requests').insert({
        tenant_id: actor.tenantId, request_type, target_type, target_id, reason, requested_action: JSON.stringify(requested_action ?? {}),
        requested_by: actor.userId, expires_at: new Date(Date.now() + CHANGE_REQUEST_TTL_MS),
      }).returning('*')
      await audit(trx, actor, 'change.request', inserted.id, { request_type, target_type, target_id })
      return inserted
    })
    return reply.code(201).send(changeView(row))
  })

  app.get('/', { schema: { querystring: ChangeListQuery, response: { 200: ChangeListResponse, ...commonErrors } } }, async (request) => {
    const actor = request.actor
    requireRole(actor, 'operator', 'list change requests')
    const rows: (ChangeRow & { rotation_id: string | null; site_id: string | null })[] = await app.knex.transaction(async (trx) => {
      await expireDue(trx, actor.tenantId)
      const list = await trx('change_requests as c')
        .leftJoin('key_rotations as r', 'r.change_request_id', 'c.id')
        .leftJoin('hosting_miners as m', function () { this.on('m.id', 'c.target_id').andOnVal('c.target_type', '=', 'miner') })
        .leftJoin('edge_devices as d', function () { this.on('d.id', 'c.target_id').andOnVal('c.target_type', '=', 'device') })
        .where('c.tenant_id', actor.tenantId)
        .modify((q) => (request.query.status ? q.where('c.status', request.query.status) : q))
        // Operators see the requests they filed; owners and admins see them all.
        .modify((q) => (actor.role === 'operator' ? q.where('c.requested_by', actor.userId) : q))
        .orderBy('c.created_at', 'desc')
        .limit(500)
        .select('c.*', 'r.id as rotation_id', app.knex.raw('coalesce(m.site_id, d.site_id) AS site_id'))
      return list
    })
    // RULE-2: a request about a miner or device of a site you cannot see stays hidden.
    return {
      changes: rows
        .filter((r) => r.site_id === null || canSeeSite(actor, r.site_id))
        .map(({ rotation_id, site_id: _site, ...r }) => changeView(r, rotation_id ? { rotation_id } : {})),
    }
  })

  app.post('/:id/approve', { schema: { params: IdParams, response: { 200: ChangeView, ...commonErrors } } }, async (request) => {
    const actor = request.actor
    const action = 'approve the request'
    requireRole(actor, 'admin', action)
    const row = await transition(app.knex, action, async (trx) => {
      const change = await lockForTransition(trx, actor, request.params.id, 'PENDING', action)
      if (!('id' in change)) return change
      if (change.requested_by === actor.userId) throw new Forbidden(action, 'you filed it; another owner or admin must approve it')
      if (change.request_type === 'ROLE_CHANGE' && change.target_id === actor.userId) throw new Forbidden(action, 'it changes your own membership')
      await checkTarget(trx, actor, change.request_type, change.target_id, change.requested_action, action)
      const [updated] = await trx('change_requests').where({ id: change.id })
        .update({ status: 'APPROVED', decided_by: actor.userId, decided_at: trx.fn.now() }).returning('*')
      await audit(trx, actor, 'change.approve', change.id)
      return updated as ChangeRow
    })
    return changeView(row)
  })

  app.post('/:id/reject', { schema: { params: IdParams, response: { 200: ChangeView, ...commonErrors } } }, async (request) => {
    const actor = request.actor
    const action = 'reject the request'
    const row = await transition(app.knex, action, async (trx) => {
      const change = await lockForTransition(trx, actor, request.params.id, 'PENDING', action)
      if (!('id' in change)) return change
      // The requester may withdraw their own request; anyone else needs owner/admin.
      if (change.requested_by !== actor.userId) requireRole(actor, 'admin', action)
      const [updated] = await trx('change_requests').where({ id: change.id })
        .update({ status: 'REJECTED', ...(change.requested_by === actor.userId ? {} : { decided_by: actor.userId }), decided_at: trx.fn.now() }).returning('*')
      await audit(trx, actor, 'change.reject', change.id)
      return updated as ChangeRow
    })
    return changeView(row)
  })

  app.post('/:id/execute', {
    schema: { params: IdParams, body: ExecuteChangeBody, response: { 200: ChangeView, ...commonErrors } },
    // The one plaintext a request carries: the address of a miner leaving full E2EE.
    preValidation: async (request) => refusePlaintext(request.body, 'execute the request', ['ip_address', 'port']),
  }, async (request) => {
    const actor = request.actor
    const action = 'execute the request'
    requireRole(actor, 'admin', action)
    const { row, extra } = await transition(app.knex, action, async (trx) => {
      const change = await lockForTransition(trx, actor, request.params.id, 'APPROVED', action)
      if (!('id' in change)) return change
      const result = await performChange(trx, actor, change, request.body ?? {})
      const [updated] = await trx('change_requests').where({ id: change.id })
        .update({ status: 'EXECUTED', executed_by: actor.userId, executed_at: trx.fn.now() }).returning('*')
      await audit(trx, actor, 'change.execute', change.id)
      return { row: updated as ChangeRow, extra: result }
    })
    return changeView(row, extra)
  })
}

export default changes
