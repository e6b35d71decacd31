/** Sites of the caller's tenant, and the miners on each. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Conflict } from '../errors.ts'
import { findVisibleSite, requireRole } from '../lib/access.ts'
import { appendAudit } from '../lib/audit.ts'
import { minerView } from '../lib/miner_view.ts'
import { Miner } from '../models/miner.ts'
import { Site } from '../models/site.ts'
import { SiteParams, commonErrors } from '../schemas/common.ts'
import { CreateMinerBody, MinerListResponse, MinerResponse } from '../schemas/miners.ts'
import { CreateSiteBody, SiteListResponse, SiteResponse } from '../schemas/sites.ts'

const siteView = (s: Site) => ({ id: s.id, name: s.name, location: s.location, created_at: new Date(s.created_at).toISOString() })

const sites: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  app.get('/', { schema: { response: { 200: SiteListResponse, ...commonErrors } } }, async (request) => {
    const { tenantId, allowedSiteIds } = request.actor
    const rows = await Site.query(app.knex)
      .where({ tenant_id: tenantId })
      .modify((q) => (allowedSiteIds ? q.whereIn('id', allowedSiteIds) : q))
      .orderBy('name')
    return { sites: rows.map(siteView) }
  })

  app.post('/', { schema: { body: CreateSiteBody, response: { 201: SiteResponse, ...commonErrors } } }, async (request, reply) => {
    const actor = request.actor
    requireRole(actor, 'admin', 'create a site')
    const site = await app.knex.transaction(async (trx) => {
      const created = await Site.query(trx).insert({ tenant_id: actor.tenantId, name: request.body.name, location: request.body.location ?? null }).returning('*')
      await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: 'site.create', targetType: 'site', targetId: created.id })
      return created
    }).catch((err: { code?: string }) => {
      if (err.code === '23505') throw new Conflict('create the site', 'a site with this name already exists')
      throw err
    })
    return reply.code(201).send(siteView(site))
  })

  app.get('/:siteId/miners', { schema: { params: SiteParams, response: { 200: MinerListResponse, ...commonErrors } } }, async (request) => {
    const site = await findVisibleSite(app.knex, request.actor, request.params.siteId)
    const rows = await Miner.query(app.knex).where({ site_id: site.id, tenant_id: site.tenant_id }).orderBy('name')
    return { miners: rows.map(minerView) }
  })

  app.post('/:siteId/miners', {
    schema: { params: SiteParams, body: CreateMinerBody, response: { 201: MinerResponse, ...commonErrors } },
  }, async (request, reply) => {
    const actor = request.actor
    const site = await findVisibleSite(app.knex, actor, request.params.siteId)
    requireRole(actor, 'operator', 'create a miner')
    const { name, ip_address, port, model } = request.body
    const miner = await app.knex.transaction(async (trx) => {
      const created = await Miner.query(trx).insert({
        tenant_id: actor.tenantId, site_id: site.id, name, ip_address, port: port ?? 4028, model: model ?? null,
      }).returning('*')
      await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: 'miner.create', targetType: 'miner', targetId: created.id, details: { site_id: site.id } })
      return created
    })
    return reply.code(201).send(minerView(miner))
  })
}

export default sites
