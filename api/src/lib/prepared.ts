/**
 * Named (prepared) statements for the hottest writes. PostgreSQL plans a named
 * statement once per connection instead of on every call; for the secret routes'
 * one-statement write (an UPDATE with two CTEs) planning was half of its database
 * time (about 280 of 555 µs). knex cannot name a statement, so the query runs on a
 * connection borrowed from knex's own pool.
 */
import type { Knex } from 'knex'
import type pg from 'pg'

// One name per distinct statement text (a small fixed set built by our code), and for
// each SQL text its statement with knex's `?` turned into `$n`. For plain values knex
// passes the bindings through unchanged, so only the text needs knex, once:
// converting it on every call (a scan of the text, an options object, an id) was a
// tenth of the secret route's own work.
const names = new Map<string, string>()
const statements = new Map<string, { name: string; text: string }>()

// What knex turns into SQL or refuses rather than passes on: a query, a raw, a callback, undefined.
const needsKnex = (value: unknown) =>
  value === undefined || typeof value === 'function' || (typeof value === 'object' && value !== null && 'toSQL' in value)

function nameOf(text: string): string {
  let name = names.get(text)
  if (!name) names.set(text, (name = `hi_${names.size + 1}`))
  return name
}

/**
 * Runs `sql` (knex `?` bindings) as a named statement and returns its rows.
 * @example const rows = await preparedRows(knex, 'SELECT * FROM sites WHERE id = ?', [id])
 */
export async function preparedRows<T = Record<string, unknown>>(knex: Knex, sql: string, bindings: readonly Knex.Value[]): Promise<T[]> {
  // A transaction's statements must run on its own connection, not a borrowed one.
  if ((knex as Knex.Transaction).isTransaction) throw new TypeError('Cannot run a prepared statement inside a transaction: pass the knex instance')
  let values = bindings as unknown[]
  let statement = statements.get(sql)
  if (!statement || values.some(needsKnex)) {
    // knex throws here on an undefined binding, as for any query, and inlines a raw one.
    const native = knex.raw(sql, bindings as Knex.Value[]).toSQL().toNative()
    values = native.bindings as unknown[]
    statement = { name: nameOf(native.sql), text: native.sql }
    if (!(bindings as unknown[]).some(needsKnex)) statements.set(sql, statement)
  }
  const connection = (await knex.client.acquireConnection()) as pg.PoolClient
  try {
    return (await connection.query({ name: statement.name, text: statement.text, values })).rows as T[]
  } finally {
    await knex.client.releaseConnection(connection)
  }
}
