import type { Knex } from 'knex'

/**
 * The two stream feeds (sync_changes: every miner change; stream_events: telemetry
 * and alerts) are only ever read by (txid, seq), so that pair becomes their primary
 * key and the separate (txid, seq) index goes. Each append then maintains one btree
 * instead of two: sync_changes takes a row with every block write, inside the write's
 * own statement. seq stays unique on its own (bigserial), so the pair is too.
 */
const FEEDS = ['sync_changes', 'stream_events'] as const

export async function up(knex: Knex): Promise<void> {
  for (const table of FEEDS) {
    await knex.raw(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey`)
    await knex.raw(`DROP INDEX ${table}_feed`)
    await knex.raw(`ALTER TABLE ${table} ADD CONSTRAINT ${table}_pkey PRIMARY KEY (txid, seq)`)
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of FEEDS) {
    await knex.raw(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey`)
    await knex.raw(`ALTER TABLE ${table} ADD CONSTRAINT ${table}_pkey PRIMARY KEY (seq)`)
    await knex.raw(`CREATE INDEX ${table}_feed ON ${table} (txid, seq)`)
  }
}
