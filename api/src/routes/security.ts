/** The tenant's security alerts (plugins/app/suspicious_activity.ts), newest first (owner/admin). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { requireRole } from '../lib/access.ts'
import { Timestamp, commonErrors } from '../schemas/common.ts'

const SecurityAlert = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('failed_logins'), Type.Literal('enrollment_attempts'), Type.Literal('rapid_block_rewrites')]),
  subject_type: Type.String(),
  subject_id: Type.String(),
  count: Type.Integer(),
  window_s: Type.Integer(),
  at: Timestamp,
})
const SecurityAlertList = Type.Object({ alerts: Type.Array(SecurityAlert) })

const security: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  app.get('/alerts', { schema: { response: { 200: SecurityAlertList, ...commonErrors } } }, async (request) => {
    requireRole(request.actor, 'admin', 'read security alerts')
    const rows = await app.knex('security_alerts').where({ tenant_id: request.actor.tenantId }).orderBy('id', 'desc').limit(200)
    return { alerts: rows.map((r) => ({ ...r, id: String(r.id), at: new Date(r.at).toISOString() })) }
  })
}

export default security
