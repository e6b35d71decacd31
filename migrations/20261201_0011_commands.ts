import type { Knex } from 'knex'

/**
 * Remote-control commands (issue 9). The server keeps routing metadata in clear
 * (site, miners, action name, issuer, expiry) and the command itself as the sealed
 * v2 block the owner's device made: pool and miner passwords live only inside it.
 * Per-miner results are metadata too: ok / error / unsupported and a short message.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('commands', (t) => {
    // The id is chosen by the issuing device: it is sealed into the command's AAD.
    t.uuid('id').primary()
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE')
    t.uuid('site_id').notNullable().references('sites.id').onDelete('CASCADE')
    t.text('action').notNullable()
    t.specificType('miner_ids', 'uuid[]').notNullable()
    t.integer('miner_count').notNullable()
    t.uuid('issued_by').notNullable()
    t.timestamp('issued_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('expires_at', { useTz: true }).notNullable()
    t.jsonb('sealed').notNullable()
    t.text('status').notNullable().defaultTo('pending')
    t.timestamp('delivered_at', { useTz: true })
    t.timestamp('completed_at', { useTz: true })
    t.text('refusal_reason')
    t.text('refusal_message')
    t.index(['site_id', 'status'])
    t.index(['tenant_id', 'issued_at'])
  })
  await knex.raw(`ALTER TABLE commands ADD CONSTRAINT commands_status_check CHECK (status IN ('pending','delivered','done','refused','expired'))`)
  await knex.schema.createTable('command_results', (t) => {
    t.uuid('command_id').notNullable().references('commands.id').onDelete('CASCADE')
    t.uuid('miner_id').notNullable()
    t.text('status').notNullable()
    t.text('message')
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.primary(['command_id', 'miner_id'])
  })
  await knex.raw(`ALTER TABLE command_results ADD CONSTRAINT command_results_status_check CHECK (status IN ('ok','error','unsupported'))`)
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['command_results', 'commands']) await knex.schema.dropTableIfExists(table)
}
