/** The tenant's security alerts (plugins/app/suspicious_activity.ts), newest first (owner/admin). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { requireRole } from '../lib/access.ts'
import { securityAlertView } from '../lib/security_alerts.ts'
import { commonErrors } from '../schemas/common.ts'
import { SecurityAlertList } from '../schemas/security.ts'

const security: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  app.get('/alerts', { schema: { response: { 200: SecurityAlertList, ...commonErrors } } }, async (request) => {
    requireRole(request.actor, 'admin', 'read security alerts')
    const rows = await app.knex('security_alerts').where({ tenant_id: request.actor.tenantId }).orderBy('id', 'desc').limit(200)
    return { alerts: rows.map(securityAlertView) }
  })
}

export default security
