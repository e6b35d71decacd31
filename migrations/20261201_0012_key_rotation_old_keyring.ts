import type { Knex } from 'knex'

/**
 * While a data-key rotation runs, blocks under the old kid still exist: the old
 * wrapped keyring stays with the rotation so the owner's other devices can still
 * open them (wrapped under the passphrase, so the server can open nothing), and is
 * dropped when the rotation completes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('key_rotations', (t) => {
    t.jsonb('old_keyring')
    t.timestamp('started_at', { useTz: true })
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('key_rotations', (t) => {
    t.dropColumn('old_keyring')
    t.dropColumn('started_at')
  })
}
