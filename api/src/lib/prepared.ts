/**
 * Named (prepared) statements for the hottest writes. PostgreSQL plans a named
 * statement once per connection instead of on every call; for the secret routes'
 * one-statement write (an UPDATE with two CTEs) planning was half of its database
 * time (about 280 of 555 µs).
 *
 * knex cannot name a statement, so they run on a small pool of their own, whose
 * connections force generic plans: the group-committed write takes its rows as
 * arrays, and for every batch size its custom plan is cheaper than the generic one
 * (which guesses 100 rows), so by default PostgreSQL planned it again on every call,
 * which took longer than running it (sync pushes went from 710 to 400 changes/s).
 * knex's own connections keep the default, so its queries are planned for their values.
 */
import type { Knex } from 'knex'
import pg from 'pg'

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

const pools = new WeakMap<Knex, pg.Pool>()

function poolFor(knex: Knex): pg.Pool {
  let pool = pools.get(knex)
  if (!pool) {
    // knex keeps the parsed settings with the password non-enumerable (out of logs), so it is copied by name.
    const settings = knex.client.connectionSettings as pg.ClientConfig
    pool = new pg.Pool({
      ...settings,
      password: settings.password,
      max: 4,
      options: '-c plan_cache_mode=force_generic_plan',
    })
    // An idle connection's failure (the server restarted) only drops it; the next call opens another.
    pool.on('error', () => {})
    pools.set(knex, pool)
  }
  return pool
}

/** Closes the prepared statements' connections of `knex` (with knex, when the app closes). */
export async function closePreparedStatements(knex: Knex): Promise<void> {
  const pool = pools.get(knex)
  pools.delete(knex)
  await pool?.end()
}

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
  // A transaction's statements must run on its own connection, not one of the pool's.
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
  return (await poolFor(knex).query({ name: statement.name, text: statement.text, values })).rows as T[]
}
