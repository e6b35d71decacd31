/**
 * Named (prepared) statements for the hottest writes. PostgreSQL plans a named
 * statement once per connection instead of on every call; for the secret routes'
 * one-statement write (an UPDATE with two CTEs) planning was half of its database
 * time (about 280 of 555 µs). knex cannot name a statement, so the query runs on a
 * connection borrowed from knex's own pool.
 */
import type { Knex } from 'knex'
import type pg from 'pg'

// One name per distinct SQL text; the texts are a small fixed set built by our code.
const names = new Map<string, string>()

/**
 * Runs `sql` (knex `?` bindings) as a named statement and returns its rows.
 * @example const rows = await preparedRows(knex, 'SELECT * FROM sites WHERE id = ?', [id])
 */
export async function preparedRows<T = Record<string, unknown>>(knex: Knex, sql: string, bindings: readonly Knex.Value[]): Promise<T[]> {
  // A transaction's statements must run on its own connection, not a borrowed one.
  if ((knex as Knex.Transaction).isTransaction) throw new TypeError('Cannot run a prepared statement inside a transaction: pass the knex instance')
  const native = knex.raw(sql, bindings as Knex.Value[]).toSQL().toNative()
  let name = names.get(native.sql)
  if (!name) names.set(native.sql, (name = `hi_${names.size + 1}`))
  const connection = (await knex.client.acquireConnection()) as pg.PoolClient
  try {
    return (await connection.query({ name, text: native.sql, values: native.bindings as unknown[] })).rows as T[]
  } finally {
    await knex.client.releaseConnection(connection)
  }
}
