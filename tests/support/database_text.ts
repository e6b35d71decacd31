/** The whole database as text, for tests that prove a value is stored nowhere. */
import type { Knex } from 'knex'

/**
 * Every row of every table in the public schema, one `<table>: <row as text>` per line.
 * @param mustInclude tables the caller relies on being read (so a renamed table fails the test rather than hiding)
 * @example expect(await databaseText(app.knex, ['invitations'])).not.toContain(secret)
 */
export async function databaseText(knex: Knex, mustInclude: readonly string[] = []): Promise<string> {
  const tables: string[] = await knex('information_schema.tables').where({ table_schema: 'public', table_type: 'BASE TABLE' }).pluck('table_name')
  const missing = mustInclude.filter((t) => !tables.includes(t))
  if (missing.length) throw new Error(`Cannot read the database: no table ${missing.join(', ')}`)
  const parts: string[] = []
  for (const table of tables) {
    const { rows } = await knex.raw(`SELECT t::text AS row FROM ${knex.raw('??', [table]).toQuery()} t`)
    parts.push(...rows.map((r: { row: string }) => `${table}: ${r.row}`))
  }
  return parts.join('\n')
}
