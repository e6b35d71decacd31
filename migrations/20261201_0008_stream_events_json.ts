import type { Knex } from 'knex'

/**
 * Stream events are written once and sent as text to every client: `json` keeps
 * the text as it came, where `jsonb` parsed it on insert and printed it again on
 * every read (about a third of a telemetry batch's database time).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE stream_events ALTER COLUMN data TYPE json USING data::json')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE stream_events ALTER COLUMN data TYPE jsonb USING data::jsonb')
}
