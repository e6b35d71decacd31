/** The tenant's audit log and the check of its hash chain (owner/admin). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { requireRole } from '../lib/access.ts'
import { sealAudit, verifyAuditChain } from '../lib/audit.ts'
import { AuditEvent } from '../models/audit_event.ts'
import { AuditListQuery, AuditListResponse, AuditVerifyResponse } from '../schemas/audit.ts'
import { commonErrors } from '../schemas/common.ts'

const audit: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  app.get('/', { schema: { querystring: AuditListQuery, response: { 200: AuditListResponse, ...commonErrors } } }, async (request) => {
    requireRole(request.actor, 'admin', 'read the audit log')
    const { limit = 100, before } = request.query
    await sealAudit(app.knex, true)
    const rows = await AuditEvent.query(app.knex)
      .where('tenant_id', request.actor.tenantId)
      .whereNotNull('chain_seq')
      .modify((q) => (before ? q.where('chain_seq', '<', before) : q))
      .orderBy('chain_seq', 'desc')
      .limit(limit)
    return {
      events: rows.map((e) => ({
        id: String(e.id), seq: Number(e.chain_seq), actor_type: e.actor_type, actor_id: e.actor_id, action: e.action,
        target_type: e.target_type, target_id: e.target_id, details: e.details,
        at: new Date(e.at).toISOString(), prev_hash: e.prev_hash!, hash: e.hash!,
      })),
    }
  })

  app.get('/verify', { schema: { response: { 200: AuditVerifyResponse, ...commonErrors } } }, async (request) => {
    requireRole(request.actor, 'admin', 'verify the audit log')
    return verifyAuditChain(app.knex, request.actor.tenantId)
  })
}

export default audit
