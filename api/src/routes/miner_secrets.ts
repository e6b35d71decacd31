/**
 * The seed's secret routes: Plan A credentials and Plan B full connection.
 * Bodies carry encrypted blocks only; the server stores them as they came.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Knex } from 'knex'
import { findVisibleMiner, requireRole } from '../lib/access.ts'
import { appendAudit } from '../lib/audit.ts'
import { checkBlockReplacement } from '../lib/block_rules.ts'
import { refusePlaintext } from '../lib/validation.ts'
import type { Block } from '../../../e2ee/schema.ts'
import { Keyring } from '../models/keyring.ts'
import { Miner } from '../models/miner.ts'
import { IdParams, commonErrors } from '../schemas/common.ts'
import { ConnectionFullBody, ConnectionFullResponse, CredentialsBody, CredentialsResponse } from '../schemas/secrets.ts'

// What an audit event may say about a block: its format, never its content.
const blockFacts = (b: Block) => (b.version === 2 ? { version: 2, kid: b.kid, counter: b.counter } : { version: 1 })

async function saveMiner(trx: Knex.Transaction, miner: Miner, patch: Partial<Miner>): Promise<Miner> {
  return Miner.query(trx).patchAndFetchById(miner.id, {
    ...patch,
    revision: trx.raw('revision + 1') as unknown as string,
    updated_at: trx.fn.now() as unknown as Date,
  })
}

const minerSecrets: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  app.get('/:id/credentials', { schema: { params: IdParams, response: { 200: CredentialsResponse, ...commonErrors } } }, async (request) => {
    const miner = await findVisibleMiner(app.knex, request.actor, request.params.id)
    requireRole(request.actor, 'operator', 'read miner credentials')
    return { success: true as const, miner_id: miner.id, encrypted_credentials: miner.encrypted_credentials }
  })

  app.post('/:id/credentials', {
    schema: { params: IdParams, body: CredentialsBody, response: { 200: CredentialsResponse, ...commonErrors } },
    preValidation: async (request) => refusePlaintext(request.body, 'store credentials'),
  }, async (request) => {
    const actor = request.actor
    const block = request.body.encrypted_credentials
    const saved = await app.knex.transaction(async (trx) => {
      const miner = await findVisibleMiner(trx, actor, request.params.id, true)
      requireRole(actor, 'operator', 'store miner credentials')
      const keyring = await Keyring.query(trx).findById(actor.tenantId)
      checkBlockReplacement('store credentials', miner.encrypted_credentials, block, keyring)
      const updated = await saveMiner(trx, miner, { encrypted_credentials: block })
      await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: 'miner.credentials.set', targetType: 'miner', targetId: miner.id, details: blockFacts(block) })
      return updated
    })
    return { success: true as const, message: 'Credentials saved', miner_id: saved.id, encrypted_credentials: saved.encrypted_credentials }
  })

  app.get('/:id/connection_full', { schema: { params: IdParams, response: { 200: ConnectionFullResponse, ...commonErrors } } }, async (request) => {
    const miner = await findVisibleMiner(app.knex, request.actor, request.params.id)
    requireRole(request.actor, 'operator', 'read the encrypted connection')
    return { success: true as const, miner_id: miner.id, use_full_e2ee: miner.use_full_e2ee, encrypted_connection_full: miner.encrypted_connection_full }
  })

  app.post('/:id/connection_full', {
    schema: { params: IdParams, body: ConnectionFullBody, response: { 200: ConnectionFullResponse, ...commonErrors } },
    // Returning to Plan A is the one case where the address travels in plaintext.
    preValidation: async (request) => {
      const body = request.body as { use_full_e2ee?: unknown }
      const disabling = body?.use_full_e2ee === false
      refusePlaintext(request.body, disabling ? 'disable full E2EE' : 'enable full E2EE', disabling ? ['ip_address', 'port'] : [])
    },
  }, async (request) => {
    const actor = request.actor
    const body = request.body
    const saved = await app.knex.transaction(async (trx) => {
      const miner = await findVisibleMiner(trx, actor, request.params.id, true)
      if (body.use_full_e2ee) {
        requireRole(actor, 'operator', 'enable full E2EE')
        const block = body.encrypted_connection_full
        const keyring = await Keyring.query(trx).findById(actor.tenantId)
        checkBlockReplacement('store the encrypted connection', miner.encrypted_connection_full, block, keyring)
        const updated = await saveMiner(trx, miner, { encrypted_connection_full: block, use_full_e2ee: true, ip_address: null, port: null })
        const action = miner.use_full_e2ee ? 'miner.connection_full.set' : 'miner.full_e2ee.enable'
        await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action, targetType: 'miner', targetId: miner.id, details: blockFacts(block) })
        return updated
      }
      requireRole(actor, 'admin', 'disable full E2EE')
      const updated = await saveMiner(trx, miner, { encrypted_connection_full: null, use_full_e2ee: false, ip_address: body.ip_address, port: body.port ?? 4028 })
      await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: 'miner.full_e2ee.disable', targetType: 'miner', targetId: miner.id })
      return updated
    })
    return {
      success: true as const,
      message: saved.use_full_e2ee ? 'Connection saved (full E2EE)' : 'Full E2EE disabled (Plan A)',
      miner_id: saved.id,
      use_full_e2ee: saved.use_full_e2ee,
      encrypted_connection_full: saved.encrypted_connection_full,
    }
  })
}

export default minerSecrets
