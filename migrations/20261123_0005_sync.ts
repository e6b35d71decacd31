import type { Knex } from 'knex'

/**
 * The sync feed. Every change to a miner row (its metadata or blocks) appends an
 * entry stamped with the writing transaction's id (xid8), from a trigger, so no
 * write path can forget it. Readers page by (txid, seq) and only up to the oldest
 * transaction still running: everything below that horizon is final, which is
 * what lets a cursor cover every change exactly once under concurrent writers.
 * Applied client changes are remembered by change id, so a replay is harmless.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE sync_changes (
      seq bigserial PRIMARY KEY,
      txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
      tenant_id uuid NOT NULL,
      site_id uuid NOT NULL,
      entity text NOT NULL,
      subject_id uuid NOT NULL,
      revision bigint NOT NULL
    )`)
  // One index serves both readers (a device's pull filters its tenant; the stream reads all).
  await knex.raw('CREATE INDEX sync_changes_feed ON sync_changes (txid, seq)')
  await knex.raw(`
    CREATE FUNCTION hosting_miners_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO sync_changes (tenant_id, site_id, entity, subject_id, revision)
      VALUES (NEW.tenant_id, NEW.site_id, 'miner', NEW.id, NEW.revision);
      RETURN NULL;
    END $$`)
  await knex.raw(`CREATE TRIGGER hosting_miners_sync AFTER INSERT OR UPDATE ON hosting_miners
    FOR EACH ROW EXECUTE FUNCTION hosting_miners_sync()`)
  await knex.schema.createTable('sync_applied', (t) => {
    t.uuid('change_id').primary()
    t.uuid('tenant_id').notNullable()
    t.jsonb('result').notNullable()
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS hosting_miners_sync ON hosting_miners')
  await knex.raw('DROP FUNCTION IF EXISTS hosting_miners_sync')
  await knex.schema.dropTableIfExists('sync_applied')
  await knex.schema.dropTableIfExists('sync_changes')
}
