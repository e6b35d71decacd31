/**
 * The seed's secret routes: Plan A credentials and Plan B full connection.
 * Bodies carry encrypted blocks only; the server stores them as they came.
 * Writes try one guarded statement first (lib/miner_block_write.ts); when it
 * changes nothing, a transaction re-checks every rule to say why, or to write
 * after a race.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Knex } from 'knex'
import type { Block } from '../../../e2ee/schema.ts'
import { findVisibleMiner, lockVisibleMiner, requireRole } from '../lib/access.ts'
import { appendAudit } from '../lib/audit.ts'
import { checkBlockReplacement } from '../lib/block_rules.ts'
import { tryFastBlockWrite, type BlockWrite, type WrittenMiner } from '../lib/miner_block_write.ts'
import { refusePlaintext } from '../lib/validation.ts'
import { Miner } from '../models/miner.ts'
import type { Actor } from '../plugins/app/auth.ts'
import { IdParams, commonErrors } from '../schemas/common.ts'
import { ConnectionFullBody, ConnectionFullResponse, CredentialsBody, CredentialsResponse } from '../schemas/secrets.ts'

// What an audit event may say about a block: its format, never its content.
const blockFacts = (b: Block) => (b.version === 2 ? { version: 2, kid: b.kid, counter: b.counter } : { version: 1 })

const minerSecrets: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  /** The slow path: the rules in TypeScript, in a transaction holding the miner's row. */
  async function checkedBlockWrite(actor: Actor, minerId: string, write: BlockWrite, what: string): Promise<WrittenMiner> {
    return app.knex.transaction(async (trx: Knex.Transaction) => {
      const { miner, keyringKid } = await lockVisibleMiner(trx, actor, minerId)
      if (write.block) checkBlockReplacement(what, miner[write.column], write.block, keyringKid)
      const [row] = await trx(Miner.tableName)
        .where({ id: miner.id })
        .update({
          ...write.patch,
          [write.column]: write.block === null ? null : JSON.stringify(write.block),
          revision: trx.raw('revision + 1'),
          updated_at: trx.fn.now(),
        })
        .returning('*')
      await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: write.action, targetType: 'miner', targetId: miner.id, details: write.details })
      return row as WrittenMiner
    })
  }

  const writeBlock = async (actor: Actor, minerId: string, write: BlockWrite, what: string) =>
    (await tryFastBlockWrite(app.knex, actor, minerId, write)) ?? (await checkedBlockWrite(actor, minerId, write, what))

  app.get('/:id/credentials', { schema: { params: IdParams, response: { 200: CredentialsResponse, ...commonErrors } } }, async (request) => {
    requireRole(request.actor, 'operator', 'read miner credentials')
    const miner = await findVisibleMiner(app.knex, request.actor, request.params.id, ['encrypted_credentials'])
    return { success: true as const, miner_id: miner.id, encrypted_credentials: miner.encrypted_credentials }
  })

  app.post('/:id/credentials', {
    schema: { params: IdParams, body: CredentialsBody, response: { 200: CredentialsResponse, ...commonErrors } },
    preValidation: async (request) => refusePlaintext(request.body, 'store credentials'),
  }, async (request) => {
    requireRole(request.actor, 'operator', 'store miner credentials')
    const block = request.body.encrypted_credentials
    const saved = await writeBlock(request.actor, request.params.id, {
      column: 'encrypted_credentials', block, action: 'miner.credentials.set', details: blockFacts(block),
    }, 'store credentials')
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
    const { actor, body } = request
    let saved: WrittenMiner
    if (body.use_full_e2ee) {
      requireRole(actor, 'operator', 'enable full E2EE')
      const block = body.encrypted_connection_full
      saved = await writeBlock(actor, request.params.id, {
        column: 'encrypted_connection_full', block,
        patch: { use_full_e2ee: true, ip_address: null, port: null },
        action: 'miner.full_e2ee.set', details: blockFacts(block),
      }, 'store the encrypted connection')
    } else {
      requireRole(actor, 'admin', 'disable full E2EE')
      saved = await writeBlock(actor, request.params.id, {
        column: 'encrypted_connection_full', block: null,
        patch: { use_full_e2ee: false, ip_address: body.ip_address, port: body.port ?? 4028 },
        action: 'miner.full_e2ee.disable', details: {},
      }, 'disable full E2EE')
    }
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
