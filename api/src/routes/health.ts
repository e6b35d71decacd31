import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'

const Health = Type.Object({ status: Type.String(), database: Type.String() })

/** Liveness and database reachability, for load balancers and `npm start` checks. */
const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', { schema: { response: { 200: Health, 503: Health } } }, async (_request, reply) => {
    try {
      await app.knex.raw('SELECT 1')
      return { status: 'ok', database: 'up' }
    } catch {
      return reply.code(503).send({ status: 'degraded', database: 'down' })
    }
  })
}

export default health
