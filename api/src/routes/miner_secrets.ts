/**
 * The seed's secret routes: Plan A credentials and Plan B full connection.
 * Bodies carry encrypted blocks only; the server stores them as they came.
 * Writes go through lib/miner_block_write.ts, shared with sync.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { findVisibleMiner, requireRole } from '../lib/access.ts'
import { planSecretChange, writeMinerBlock, type SecretChange } from '../lib/miner_block_write.ts'
import { refusePlaintext } from '../lib/validation.ts'
import type { Actor } from '../plugins/app/auth.ts'
import { IdParams, commonErrors } from '../schemas/common.ts'
import { ConnectionFullBody, ConnectionFullResponse, CredentialsBody, CredentialsResponse } from '../schemas/secrets.ts'

const minerSecrets: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  /** Checks the caller's role for the change, then writes it. */
  const applyChange = (actor: Actor, minerId: string, change: SecretChange) => {
    const { write, role, what } = planSecretChange(change)
    requireRole(actor, role, what)
    return writeMinerBlock(app.knex, actor, minerId, write, what)
  }

  app.get('/:id/credentials', { schema: { params: IdParams, response: { 200: CredentialsResponse, ...commonErrors } } }, async (request) => {
    requireRole(request.actor, 'operator', 'read miner credentials')
    const miner = await findVisibleMiner(app.knex, request.actor, request.params.id, ['encrypted_credentials'])
    return { success: true as const, miner_id: miner.id, encrypted_credentials: miner.encrypted_credentials }
  })

  app.post('/:id/credentials', {
    schema: { params: IdParams, body: CredentialsBody, response: { 200: CredentialsResponse, ...commonErrors } },
    preValidation: async (request) => refusePlaintext(request.body, 'store credentials'),
  }, async (request) => {
    const saved = await applyChange(request.actor, request.params.id, { kind: 'credentials', block: request.body.encrypted_credentials })
    return { success: true as const, message: 'Credentials saved', miner_id: saved.id, encrypted_credentials: saved.encrypted_credentials }
  })

  app.get('/:id/connection_full', { schema: { params: IdParams, response: { 200: ConnectionFullResponse, ...commonErrors } } }, async (request) => {
    requireRole(request.actor, 'operator', 'read the encrypted connection')
    const miner = await findVisibleMiner(app.knex, request.actor, request.params.id, ['use_full_e2ee', 'encrypted_connection_full'])
    return { success: true as const, miner_id: miner.id, use_full_e2ee: miner.use_full_e2ee, encrypted_connection_full: miner.encrypted_connection_full }
  })

  app.post('/:id/connection_full', {
    schema: { params: IdParams, body: ConnectionFullBody, response: { 200: ConnectionFullResponse, ...commonErrors } },
    // Returning to Plan A is the one case where the address travels in plaintext.
    preValidation: async (request) => {
      const disabling = (request.body as { use_full_e2ee?: unknown } | null)?.use_full_e2ee === false
      refusePlaintext(request.body, disabling ? 'disable full E2EE' : 'enable full E2EE', disabling ? ['ip_address', 'port'] : [])
    },
  }, async (request) => {
    const body = request.body
    const saved = await applyChange(request.actor, request.params.id, body.use_full_e2ee
      ? { kind: 'connection_full', use_full_e2ee: true, block: body.encrypted_connection_full }
      : { kind: 'connection_full', use_full_e2ee: false, ip_address: body.ip_address, ...(body.port ? { port: body.port } : {}) })
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
