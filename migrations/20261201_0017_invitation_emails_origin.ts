import type { Knex } from 'knex'

/**
 * Invitation emails no longer keep the origin of their link: it was the Host header of
 * the inviter's request when PUBLIC_URL was unset, which whoever sends the request picks
 * (and which says http behind a TLS proxy). The sender now links to PUBLIC_URL, required
 * with SMTP_URL, so no stored origin, including one queued before this, reaches an email.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invitation_emails', (t) => t.dropColumn('link_origin'))
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invitation_emails', (t) => t.text('link_origin'))
}
