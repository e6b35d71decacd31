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
  // Writers only INSERT an event (no lock, so commits of one tenant never queue
  // behind each other); a sealer then links events into each tenant's chain in
  // batches: chain_seq, prev_hash and hash are NULL until the event is sealed.
  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id').primary()
    // No foreign key: every insert would share-lock the tenant's row (a MultiXact under
    // concurrent writes), and an audit trail should outlive what it describes anyway.
    t.uuid('tenant_id')
    t.text('actor_type').notNullable()
    t.text('actor_id')
    t.text('action').notNullable()
    t.text('target_type')
    t.text('target_id')
    t.jsonb('details').notNullable().defaultTo('{}')
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', clock_timestamp())"))
    t.bigInteger('chain_seq')
    t.text('prev_hash')
    t.text('hash')
  })
  // Only sealed events are in the chain index, so a write adds one entry to it less.
  await knex.raw('CREATE UNIQUE INDEX audit_events_chain ON audit_events (tenant_id, chain_seq) WHERE chain_seq IS NOT NULL')
  await knex.raw('CREATE INDEX audit_events_unsealed ON audit_events (id) WHERE hash IS NULL')
  // The chain's hash is defined once, here, and used both to seal and to verify:
  // SHA-256 over the canonical text of a JSON array of the event's fields (jsonb's
  // text form is deterministic; the time is written in UTC with microseconds).
  await knex.raw(`
    CREATE FUNCTION audit_event_hash(prev_hash text, tenant_id uuid, actor_type text, actor_id text, action text,
                                     target_type text, target_id text, details jsonb, at timestamptz)
    RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT encode(sha256(convert_to(jsonb_build_array(prev_hash, tenant_id, actor_type, actor_id, action,
        target_type, target_id, details, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text, 'UTF8')), 'hex')
    $$`)
  // Seals up to p_limit unsealed events, oldest first, each onto the head of its
  // tenant's chain. One sealer at a time (an advisory lock); p_wait false returns 0
  // at once when another sealer is busy.
  await knex.raw(`
    CREATE FUNCTION audit_seal(p_limit integer, p_wait boolean) RETURNS integer LANGUAGE plpgsql AS $$
    DECLARE
      e record;
      head_tenant uuid;
      head_seq bigint;
      head_hash text;
      have_head boolean := false;
      next_hash text;
      sealed integer := 0;
    BEGIN
      IF p_wait THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('audit:seal', 7));
      ELSIF NOT pg_try_advisory_xact_lock(hashtextextended('audit:seal', 7)) THEN
        RETURN 0;
      END IF;
      FOR e IN SELECT * FROM audit_events WHERE hash IS NULL ORDER BY id LIMIT p_limit LOOP
        -- Consecutive events of one tenant (the common case) reuse the head just written.
        IF NOT have_head OR head_tenant IS DISTINCT FROM e.tenant_id THEN
          -- Two forms so the (tenant_id, chain_seq) index serves both.
          IF e.tenant_id IS NULL THEN
            SELECT chain_seq, hash INTO head_seq, head_hash FROM audit_events
             WHERE tenant_id IS NULL AND chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1;
          ELSE
            SELECT chain_seq, hash INTO head_seq, head_hash FROM audit_events
             WHERE tenant_id = e.tenant_id AND chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1;
          END IF;
          head_tenant := e.tenant_id;
          head_seq := coalesce(head_seq, 0);
          head_hash := coalesce(head_hash, repeat('0', 64));
          have_head := true;
        END IF;
        next_hash := audit_event_hash(head_hash, e.tenant_id, e.actor_type, e.actor_id, e.action,
                                      e.target_type, e.target_id, e.details, e.at);
        UPDATE audit_events SET chain_seq = head_seq + 1, prev_hash = head_hash, hash = next_hash WHERE id = e.id;
        head_seq := head_seq + 1;
        head_hash := next_hash;
        sealed := sealed + 1;
      END LOOP;
      RETURN sealed;
    END $$`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP FUNCTION IF EXISTS audit_seal, audit_event_hash')
  await knex.schema.dropTableIfExists('audit_events')
  await knex.schema.dropTableIfExists('keyrings')
}
