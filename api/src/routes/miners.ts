/** One miner's metadata (what the server may see), read and changed. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Conflict } from '../errors.ts'
import { findVisibleMiner, lockVisibleMiner, requireRole } from '../lib/access.ts'
import { appendAudit } from '../lib/audit.ts'
import { minerView } from '../lib/miner_view.ts'
import type { MinerRow } from '../models/miner.ts'
import { IdParams, commonErrors } from '../schemas/common.ts'
import { MinerResponse, UpdateMinerBody } from '../schemas/miners.ts'

const miners: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  app.get('/:id', { schema: { params: IdParams, response: { 200: MinerResponse, ...commonErrors } } }, async (request) =>
    minerView(await findVisibleMiner(app.knex, request.actor, request.params.id)),
  )

  app.patch('/:id', { schema: { params: IdParams, body: UpdateMinerBody, response: { 200: MinerResponse, ...commonErrors } } }, async (request) => {
    const actor = request.actor
    requireRole(actor, 'operator', 'change a miner')
    const { base_revision, ...changes } = request.body
    const saved = await app.knex.transaction(async (trx) => {
      const { miner } = await lockVisibleMiner(trx, actor, request.params.id)
      if (base_revision !== undefined && Number(miner.revision) !== base_revision) {
        throw new Conflict('change the miner', `it is at revision ${miner.revision}, not ${base_revision}; reload it`)
      }
      if (miner.use_full_e2ee && (changes.ip_address !== undefined || changes.port !== undefined)) {
        throw new Conflict('change the address', 'full E2EE is on, so the address lives in the encrypted connection; save that instead')
      }
      const [row] = await trx('hosting_miners')
        .where({ id: miner.id })
        .update({ ...changes, revision: trx.raw('revision + 1'), updated_at: trx.fn.now() })
        .returning('*')
      // Which fields changed, never their values: a Plan A address is not a secret, but the log needs no copy.
      await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: 'miner.update', targetType: 'miner', targetId: miner.id, details: { fields: Object.keys(changes).sort() } })
      return row as MinerRow
    })
    return minerView(saved)
  })
}

export default miners
