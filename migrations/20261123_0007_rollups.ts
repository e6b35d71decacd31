import type { Knex } from 'knex'

/**
 * Five-minute rollups of telemetry, kept 90 days; raw samples are kept 48 hours
 * (lib/retention.ts). Charts read rollups, so a week of 10 000 miners stays cheap.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('telemetry_5m', (t) => {
    t.uuid('miner_id').notNullable()
    t.uuid('tenant_id').notNullable()
    t.uuid('site_id').notNullable()
    t.timestamp('bucket', { useTz: true }).notNullable()
    t.integer('samples').notNullable()
    t.integer('online_samples').notNullable()
    t.double('hashrate_ths_avg')
    t.double('temp_chip_max_c')
    t.double('power_w_avg')
    t.primary(['miner_id', 'bucket'])
  })
  await knex.raw('CREATE INDEX telemetry_5m_site ON telemetry_5m (site_id, bucket)')
  await knex.raw('CREATE INDEX telemetry_5m_bucket ON telemetry_5m USING brin (bucket)')
  // Where the rollup job stopped: buckets before it are complete.
  await knex.schema.createTable('rollup_state', (t) => {
    t.text('name').primary()
    t.timestamp('done_until', { useTz: true }).notNullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('rollup_state')
  await knex.schema.dropTableIfExists('telemetry_5m')
}
