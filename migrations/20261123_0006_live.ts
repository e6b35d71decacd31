import type { Knex } from 'knex'

/**
 * The live farm: events for the server-sent stream (kept an hour for resuming),
 * each miner's latest state (for alerts and the dashboard), alerts with their
 * raise/clear history, and per-site alert thresholds.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE stream_events (
      seq bigserial PRIMARY KEY,
      txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
      tenant_id uuid NOT NULL,
      site_id uuid,
      type text NOT NULL,
      data jsonb NOT NULL,
      at timestamptz NOT NULL DEFAULT now()
    )`)
  await knex.raw('CREATE INDEX stream_events_feed ON stream_events (txid, seq)')
  await knex.raw('CREATE INDEX stream_events_at ON stream_events USING brin (at)')
  // Telemetry and alerts announce themselves at once. Miner changes do not: a NOTIFY
  // serialises the commits of every transaction that sends one, which would queue
  // all miner writes behind each other; the stream reads them on its short timer.
  await knex.raw(`
    CREATE FUNCTION stream_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('stream_events', '');
      RETURN NULL;
    END $$`)
  await knex.raw('CREATE TRIGGER stream_events_notify AFTER INSERT ON stream_events FOR EACH STATEMENT EXECUTE FUNCTION stream_events_notify()')
  await knex.schema.createTable('miner_live', (t) => {
    t.uuid('miner_id').primary()
    t.uuid('tenant_id').notNullable()
    t.uuid('site_id').notNullable()
    t.timestamp('at', { useTz: true }).notNullable()
    t.boolean('online').notNullable()
    t.double('hashrate_ths')
    // Exponentially weighted average of the hashrate while online: "its own recent average".
    t.double('hashrate_ewma_ths')
    t.double('temp_chip_max_c')
    t.double('power_w')
    t.bigInteger('accepted_shares')
    t.bigInteger('rejected_shares')
    t.index(['site_id'])
  })
  // Every batch rewrites these rows; free space on each page lets PostgreSQL update in place (HOT).
  await knex.raw('ALTER TABLE miner_live SET (fillfactor = 50)')
  await knex.schema.createTable('alerts', (t) => {
    t.bigIncrements('id').primary()
    t.uuid('tenant_id').notNullable()
    t.uuid('site_id').notNullable()
    t.uuid('miner_id').notNullable()
    t.text('type').notNullable()
    t.double('value')
    t.double('threshold')
    t.timestamp('raised_at', { useTz: true }).notNullable()
    t.timestamp('cleared_at', { useTz: true })
    t.index(['tenant_id', 'site_id'])
  })
  // At most one open alert of a type per miner.
  await knex.raw('CREATE UNIQUE INDEX alerts_open ON alerts (miner_id, type) WHERE cleared_at IS NULL')
  await knex.schema.createTable('site_alert_settings', (t) => {
    t.uuid('site_id').primary().references('sites.id').onDelete('CASCADE')
    t.uuid('tenant_id').notNullable()
    t.double('temp_limit_c').notNullable()
    t.double('hashrate_drop_share').notNullable()
    t.double('reject_rate_limit').notNullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS stream_events_notify ON stream_events')
  await knex.raw('DROP FUNCTION IF EXISTS stream_events_notify')
  for (const table of ['site_alert_settings', 'alerts', 'miner_live', 'stream_events']) await knex.schema.dropTableIfExists(table)
}
