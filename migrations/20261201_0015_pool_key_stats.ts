import type { Knex } from 'knex'

/**
 * Pool statistics the edge read with a pool key it decrypted locally: figures or the
 * reason there are none, per key and batch. A batch sent again is stored once
 * (unique key and batch). Figures only; the key and secret never reach this table.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('pool_key_stats', (t) => {
    t.bigIncrements('id').primary()
    t.uuid('tenant_id').notNullable()
    t.uuid('pool_key_id').notNullable().references('secret_blocks.id').onDelete('CASCADE')
    t.uuid('device_id').notNullable()
    t.uuid('batch_id').notNullable()
    t.timestamp('taken_at', { useTz: true }).notNullable()
    t.double('hashrate_ths')
    t.double('hashrate_24h_ths')
    t.integer('workers_online')
    t.integer('workers_offline')
    t.double('balance_btc')
    t.timestamp('last_share_at', { useTz: true })
    t.text('error_kind')
    t.text('error_message')
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.unique(['pool_key_id', 'batch_id'])
  })
  // The listing reads each key's latest row.
  await knex.raw('CREATE INDEX pool_key_stats_latest ON pool_key_stats (pool_key_id, taken_at DESC, id DESC)')
  await knex.raw('CREATE INDEX pool_key_stats_received ON pool_key_stats USING brin (received_at)')
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('pool_key_stats')
}
