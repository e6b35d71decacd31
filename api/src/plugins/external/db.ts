/** knex over node-postgres, closed with the app. Objection models take it per query. */
import fp from 'fastify-plugin'
import knexFactory, { type Knex } from 'knex'
import pg from 'pg'
import { closePreparedStatements } from '../../lib/prepared.ts'

// bigint columns (revision, ids, cursors) arrive as strings; ours stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value))

declare module 'fastify' {
  interface FastifyInstance {
    knex: Knex
  }
}

export default fp(
  async (app) => {
    const knex = knexFactory({
      client: 'pg',
      connection: app.config.databaseUrl,
      pool: { min: 0, max: 20 },
      acquireConnectionTimeout: 10_000,
    })
    app.decorate('knex', knex)
    app.addHook('onClose', async () => {
      await knex.destroy()
      await closePreparedStatements(knex)
    })
  },
  { name: 'db', dependencies: ['config'] },
)
