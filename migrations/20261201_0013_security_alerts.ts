import type { Knex } from 'knex'

/**
 * Suspicious activity the API noticed: many failed sign-ins to one account, many
 * failed enrolment attempts from one address, rapid rewrites of one block. Subjects
 * are ids or hashes, never an email, a code or a block.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('security_alerts', (t) => {
    t.bigIncrements('id').primary()
    // NULL when no tenant can be named (an enrolment code nobody owns).
    t.uuid('tenant_id')
    t.text('kind').notNullable()
    t.text('subject_type').notNullable()
    t.text('subject_id').notNullable()
    t.integer('count').notNullable()
    t.integer('window_s').notNullable()
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['tenant_id', 'at'])
  })
  await knex.raw(`ALTER TABLE security_alerts ADD CONSTRAINT security_alerts_kind_check
    CHECK (kind IN ('failed_logins','enrollment_attempts','rapid_block_rewrites'))`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('security_alerts')
}
