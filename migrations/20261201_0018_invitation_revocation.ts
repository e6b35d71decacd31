import type { Knex } from 'knex'

/**
 * An owner or admin can revoke an invitation nobody has accepted: its link then opens
 * nothing and its email, if still queued, is not sent. The row stays, so the audit
 * chain's `member.invite_revoke` event keeps naming something.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invitations', (t) => {
    t.timestamp('revoked_at', { useTz: true })
    t.uuid('revoked_by')
  })
  // An invitation ends once: accepted or revoked, never both.
  await knex.raw('ALTER TABLE invitations ADD CONSTRAINT invitations_accepted_or_revoked CHECK (accepted_at IS NULL OR revoked_at IS NULL)')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE invitations DROP CONSTRAINT IF EXISTS invitations_accepted_or_revoked')
  await knex.schema.alterTable('invitations', (t) => {
    t.dropColumn('revoked_by')
    t.dropColumn('revoked_at')
  })
}
