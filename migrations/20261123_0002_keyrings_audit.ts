import type { Knex } from 'knex'

/** The tenant keyring (wrapped data key only) and the hash-chained audit log. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('keyrings', (t) => {
    t.uuid('tenant_id').primary().references('tenants.id').onDelete('CASCADE')
    t.text('kid').notNullable()
    t.jsonb('kdf').notNullable()
    t.jsonb('wrapped_key').notNullable()
    t.bigInteger('revision').notNullable().defaultTo(1)
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id').primary()
    t.uuid('tenant_id').references('tenants.id').onDelete('CASCADE')
    t.text('actor_type').notNullable()
    t.text('actor_id')
    t.text('action').notNullable()
    t.text('target_type')
    t.text('target_id')
    t.jsonb('details').notNullable().defaultTo('{}')
    t.timestamp('at', { useTz: true }).notNullable()
    t.text('prev_hash').notNullable()
    t.text('hash').notNullable()
    t.index(['tenant_id', 'id'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('audit_events')
  await knex.schema.dropTableIfExists('keyrings')
}
