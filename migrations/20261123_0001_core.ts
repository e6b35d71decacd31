import type { Knex } from 'knex'

/** Tenants, people, sites and miners, with the seed's hosting_miners columns. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('tenants', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.text('name').notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.text('email').notNullable()
    // scrypt, self-describing: scrypt$N$r$p$salt$hash — never the encryption passphrase.
    t.text('password_hash').notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.raw('CREATE UNIQUE INDEX users_email_unique ON users (lower(email))')
  await knex.schema.createTable('memberships', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE')
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE')
    t.text('role').notNullable()
    // NULL: every site of the tenant; otherwise only these (RULE-2).
    t.specificType('allowed_site_ids', 'uuid[]')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.unique(['user_id', 'tenant_id'])
  })
  await knex.raw(`ALTER TABLE memberships ADD CONSTRAINT memberships_role_check
    CHECK (role IN ('owner','admin','operator','viewer'))`)
  await knex.schema.createTable('sites', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE')
    t.text('name').notNullable()
    t.text('location')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.unique(['tenant_id', 'name'])
    t.index(['tenant_id'])
  })
  await knex.schema.createTable('hosting_miners', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE')
    t.uuid('site_id').notNullable().references('sites.id').onDelete('CASCADE')
    t.text('name').notNullable()
    t.text('model')
    // Plan A keeps the address in plaintext; Plan B (use_full_e2ee) sets both NULL.
    t.text('ip_address')
    t.integer('port')
    t.jsonb('encrypted_credentials')
    t.jsonb('encrypted_connection_full')
    t.boolean('use_full_e2ee').notNullable().defaultTo(false)
    t.bigInteger('revision').notNullable().defaultTo(1)
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['site_id'])
    t.index(['tenant_id'])
  })
  // The database itself refuses a plaintext address next to full E2EE.
  await knex.raw(`ALTER TABLE hosting_miners ADD CONSTRAINT hosting_miners_full_e2ee_no_address
    CHECK (NOT use_full_e2ee OR (ip_address IS NULL AND port IS NULL AND encrypted_connection_full IS NOT NULL))`)
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['hosting_miners', 'sites', 'memberships', 'users', 'tenants']) {
    await knex.schema.dropTableIfExists(table)
  }
}
