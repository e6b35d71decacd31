/**
 * COPY … FROM STDIN on a transaction's own connection: PostgreSQL's fastest way
 * in for many rows, about twice as fast for a telemetry batch as one INSERT of a
 * JSON parameter (the server then parses no JSON and plans no query).
 */
import type { Knex } from 'knex'
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'

export type CopyValue = string | number | boolean | null

// COPY's text format: tab-separated, \N for NULL, backslash escapes. Most strings
// need none, and testing for one costs less than a replace that finds nothing.
const SPECIAL = /[\\\t\n\r]/
const field = (v: CopyValue) =>
  v === null ? '\\N' : typeof v !== 'string' ? String(v) : SPECIAL.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : v
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }

/**
 * Runs `work` in a transaction whose connection can also COPY (knex has no COPY of its own).
 * @example await withCopyTransaction(knex, (trx, copy) => copy('telemetry', ['a', 'b'], [[1, 'x']]))
 */
export async function withCopyTransaction<T>(
  knex: Knex,
  work: (trx: Knex.Transaction, copy: (table: string, columns: readonly string[], rows: readonly CopyValue[][]) => Promise<void>) => Promise<T>,
): Promise<T> {
  const connection = (await knex.client.acquireConnection()) as pg.PoolClient
  try {
    return await knex.transaction((trx) => work(trx, (table, columns, rows) => copyRows(connection, table, columns, rows)), { connection })
  } finally {
    await knex.client.releaseConnection(connection)
  }
}

/** Rows in COPY's text format, one line each. */
export function copyText(rows: readonly CopyValue[][]): string {
  let text = ''
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) text += (i === 0 ? '' : '\t') + field(row[i]!)
    text += '\n'
  }
  return text
}

async function copyRows(connection: pg.PoolClient, table: string, columns: readonly string[], rows: readonly CopyValue[][]): Promise<void> {
  const text = copyText(rows)
  const sql = `COPY ${table} (${columns.join(', ')}) FROM STDIN`
  await new Promise<void>((done, fail) => {
    const stream = connection.query(copyFrom(sql))
    stream.on('finish', done)
    stream.on('error', fail)
    stream.end(text)
  })
}
