/**
 * Pool API keys as encrypted blocks (kind `pool_api_key`). Reading needs operator or
 * above, adding and rotating owner/admin. A pool key spans every site of the tenant,
 * so members limited to some sites (RULE-2) cannot see or change them. Rotation keeps
 * every earlier version, still encrypted. Listings carry each key's last statistics
 * from the edge.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Conflict, Forbidden, NotFound } from '../errors.ts'
import { requireRole } from '../lib/access.ts'
import { appendAudit } from '../lib/audit.ts'
import { checkBlockReplacement } from '../lib/block_rules.ts'
import { poolKeyView, poolKeys } from '../lib/pool_keys.ts'
import { poolStats } from '../lib/pool_stats.ts'
import { refusePlaintext } from '../lib/validation.ts'
import type { Actor } from '../plugins/app/auth.ts'
import { IdParams, commonErrors } from '../schemas/common.ts'
import { CreatePoolKeyBody, PoolKeyListResponse, PoolKeyView, RotatePoolKeyBody } from '../schemas/pool_keys.ts'

function requireAllSites(actor: Actor, action: string): void {
  if (actor.allowedSiteIds !== null) throw new Forbidden(action, 'pool keys belong to the whole tenant, and you are limited to some sites')
}

const poolKeyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)
  const kidOf = async (db: typeof app.knex, tenantId: string) => ((await db('keyrings').where({ tenant_id: tenantId }).first('kid'))?.kid ?? null) as string | null

  app.get('/', { schema: { response: { 200: PoolKeyListResponse, ...commonErrors } } }, async (request) => {
    requireRole(request.actor, 'operator', 'read pool keys')
    requireAllSites(request.actor, 'read pool keys')
    const rows = await poolKeys.list(app.knex, request.actor.tenantId)
    const stats = await poolStats.latest(app.knex, rows.map((r) => r.id))
    return { pool_keys: rows.map((r) => poolKeyView(r, undefined, stats.get(r.id) ?? null)) }
  })

  app.get('/:id', { schema: { params: IdParams, response: { 200: PoolKeyView, ...commonErrors } } }, async (request) => {
    requireRole(request.actor, 'operator', 'read pool keys')
    requireAllSites(request.actor, 'read pool keys')
    const row = await poolKeys.find(app.knex, request.actor.tenantId, request.params.id)
    if (!row) throw new NotFound('Pool key')
    return poolKeyView(row, await poolKeys.history(app.knex, row.id), (await poolStats.latest(app.knex, [row.id])).get(row.id) ?? null)
  })

  app.post('/', {
    schema: { body: CreatePoolKeyBody, response: { 201: PoolKeyView, ...commonErrors } },
    preValidation: async (request) => refusePlaintext(request.body, 'store a pool key'),
  }, async (request, reply) => {
    const actor = request.actor
    const action = 'store a pool key'
    requireRole(actor, 'admin', action)
    requireAllSites(actor, action)
    const { id, label, pool, scopes, fingerprint, block } = request.body
    const row = await app.knex.transaction(async (trx) => {
      checkBlockReplacement(action, null, block, await kidOf(trx, actor.tenantId))
      const inserted = await poolKeys.insert(trx, { id, tenant_id: actor.tenantId, label, pool, scopes, fingerprint, block, created_by: actor.userId })
      await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: 'pool_key.create', targetType: 'pool_key', targetId: id, details: { kid: block.kid, counter: block.counter } })
      return inserted
    }).catch((err: { code?: string }) => {
      if (err.code === '23505') throw new Conflict(action, 'this id is already in use; encrypt the key for a new id')
      throw err
    })
    return reply.code(201).send(poolKeyView(row))
  })

  app.post('/:id/rotate', {
    schema: { params: IdParams, body: RotatePoolKeyBody, response: { 200: PoolKeyView, ...commonErrors } },
    preValidation: async (request) => refusePlaintext(request.body, 'rotate a pool key'),
  }, async (request) => {
    const actor = request.actor
    const action = 'rotate a pool key'
    requireRole(actor, 'admin', action)
    requireAllSites(actor, action)
    const { fingerprint, block, base_version } = request.body
    const row = await app.knex.transaction(async (trx) => {
      const current = await poolKeys.find(trx, actor.tenantId, request.params.id, true)
      if (!current) throw new NotFound('Pool key')
      if (base_version !== undefined && base_version !== current.version) {
        throw new Conflict(action, `the key is at version ${current.version}, not ${base_version}; reload it`)
      }
      checkBlockReplacement(action, current.block, block, await kidOf(trx, actor.tenantId))
      const rotated = await poolKeys.rotate(trx, current, fingerprint, block)
      await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: 'pool_key.rotate', targetType: 'pool_key', targetId: current.id, details: { version: rotated.version, kid: block.kid, counter: block.counter } })
      return rotated
    })
    return poolKeyView(row, await poolKeys.history(app.knex, row.id))
  })
}

export default poolKeyRoutes
