/** One miner's metadata (what the server may see). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { findVisibleMiner } from '../lib/access.ts'
import { minerView } from '../lib/miner_view.ts'
import { IdParams, commonErrors } from '../schemas/common.ts'
import { MinerResponse } from '../schemas/miners.ts'

const miners: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  app.get('/:id', { schema: { params: IdParams, response: { 200: MinerResponse, ...commonErrors } } }, async (request) =>
    minerView(await findVisibleMiner(app.knex, request.actor, request.params.id)),
  )
}

export default miners
