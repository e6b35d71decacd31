import type { Knex } from 'knex'

/**
 * Edge devices (enrolled with a one-time code, then a token of which only the hash
 * is kept) and the telemetry they push, stored once per batch id.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('edge_devices', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE')
    t.uuid('site_id').notNullable().references('sites.id').onDelete('CASCADE')
    t.text('name').notNullable()
    t.text('status').notNullable().defaultTo('pending')
    // SHA-256 of the one-time enrolment code and of the device token: never the values.
    t.text('enroll_code_hash').unique()
    t.timestamp('enroll_expires_at', { useTz: true })
    t.text('token_hash').unique()
    t.uuid('created_by')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('enrolled_at', { useTz: true })
    t.timestamp('revoked_at', { useTz: true })
    t.timestamp('last_seen_at', { useTz: true })
    t.index(['site_id'])
  })
  await knex.raw(`ALTER TABLE edge_devices ADD CONSTRAINT edge_devices_status_check CHECK (status IN ('pending','active','revoked'))`)
  await knex.schema.createTable('telemetry_batches', (t) => {
    t.uuid('batch_id').primary()
    t.uuid('device_id').notNullable()
    t.uuid('tenant_id').notNullable()
    t.integer('samples').notNullable()
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.schema.createTable('telemetry', (t) => {
    t.uuid('tenant_id').notNullable()
    t.uuid('site_id').notNullable()
    t.uuid('miner_id').notNullable()
    t.timestamp('at', { useTz: true }).notNullable()
    t.boolean('online').notNullable()
    t.double('hashrate_ths')
    t.double('hashrate_avg_ths')
    t.bigInteger('accepted_shares')
    t.bigInteger('rejected_shares')
    t.bigInteger('stale_shares')
    t.bigInteger('hardware_errors')
    t.double('temp_chip_max_c')
    t.double('power_w')
    t.bigInteger('uptime_s')
    // Per-board temperatures, fans, model, firmware, pool status, error, warnings.
    t.jsonb('detail').notNullable().defaultTo('{}')
    t.uuid('batch_id').notNullable()
    t.index(['miner_id', 'at'])
  })
  // Telemetry arrives in time order: a BRIN index keeps time-range scans cheap at any size.
  await knex.raw('CREATE INDEX telemetry_at_brin ON telemetry USING brin (at)')
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['telemetry', 'telemetry_batches', 'edge_devices']) await knex.schema.dropTableIfExists(table)
}
