import type { Knex } from 'knex'

/**
 * The outbox of invitation emails (issue 8): one row per emailed invitation, written in
 * the invitation's own transaction, so a mail server that is down loses nothing. It
 * holds no token and no mail text: the sender rebuilds the link at send time
 * (lib/invitation_mail.ts), so nothing here opens a farm if the table leaks.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('invitation_emails', (t) => {
    t.uuid('invitation_id').primary().references('invitations.id').onDelete('CASCADE')
    t.uuid('tenant_id').notNullable()
    t.text('status').notNullable().defaultTo('queued')
    // The origin the link opens (PUBLIC_URL, or the address the inviter used).
    t.text('link_origin').notNullable()
    t.integer('attempts').notNullable().defaultTo(0)
    // When a queued row is next due; a claimed row is pushed ahead by the sender's lease.
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    // Why the last attempt failed, in words (never the link or the token).
    t.text('last_error')
    t.timestamp('sent_at', { useTz: true })
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.raw(`ALTER TABLE invitation_emails ADD CONSTRAINT invitation_emails_status_check CHECK (status IN ('queued','sent','failed'))`)
  await knex.raw(`CREATE INDEX invitation_emails_due ON invitation_emails (next_attempt_at) WHERE status = 'queued'`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('invitation_emails')
}
