import type { Knex } from 'knex'

/**
 * The audit sealer, rewritten to cost a third as much per event: it was a database
 * statement per event (a call of the SQL hash function, which PostgreSQL cannot
 * inline because to_char is only stable, and a non-HOT UPDATE), about 125 µs an
 * event under the API bench, more than the write that made the event.
 *
 * Now the batch's query builds each event's hash input without its prev_hash (the
 * text of jsonb_build_array over the other fields), the loop only prepends the
 * prev_hash and hashes, and one UPDATE from arrays writes the whole batch. The hash is
 * unchanged: jsonb prints an array as `[e1, e2, ...]`, so the input of
 * audit_event_hash(prev, ...) is `["<prev>", ` followed by the rest's text after its
 * `[` (prev_hash is hex and needs no escaping). Verification still uses
 * audit_event_hash, so a difference would show as a broken chain in every audit test.
 *
 * Heads of tenants met earlier in the batch are kept in a map, since their newest
 * links are not in the table until the UPDATE.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE OR REPLACE FUNCTION audit_seal(p_limit integer, p_wait boolean) RETURNS integer LANGUAGE plpgsql AS $$
    DECLARE
      e record;
      heads jsonb := '{}';
      head_key text;
      head_tenant uuid;
      head_seq bigint;
      head_hash text;
      have_head boolean := false;
      ids bigint[] := '{}';
      seqs bigint[] := '{}';
      prevs text[] := '{}';
      hashes text[] := '{}';
      n integer := 0;
    BEGIN
      IF p_wait THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('audit:seal', 7));
      ELSIF NOT pg_try_advisory_xact_lock(hashtextextended('audit:seal', 7)) THEN
        RETURN 0;
      END IF;
      FOR e IN
        SELECT id, tenant_id,
               jsonb_build_array(tenant_id, actor_type, actor_id, action, target_type, target_id, details,
                 to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text AS rest
          FROM audit_events WHERE hash IS NULL ORDER BY id LIMIT p_limit
      LOOP
        -- Consecutive events of one tenant (the common case) reuse the head just computed.
        IF NOT have_head OR head_tenant IS DISTINCT FROM e.tenant_id THEN
          IF have_head THEN
            heads := heads || jsonb_build_object(coalesce(head_tenant::text, ''), jsonb_build_array(head_seq, head_hash));
          END IF;
          head_key := coalesce(e.tenant_id::text, '');
          IF heads -> head_key IS NOT NULL THEN
            head_seq := (heads -> head_key ->> 0)::bigint;
            head_hash := heads -> head_key ->> 1;
          ELSE
            -- Two forms so the (tenant_id, chain_seq) index serves both.
            IF e.tenant_id IS NULL THEN
              SELECT chain_seq, hash INTO head_seq, head_hash FROM audit_events
               WHERE tenant_id IS NULL AND chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1;
            ELSE
              SELECT chain_seq, hash INTO head_seq, head_hash FROM audit_events
               WHERE tenant_id = e.tenant_id AND chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1;
            END IF;
            head_seq := coalesce(head_seq, 0);
            head_hash := coalesce(head_hash, repeat('0', 64));
          END IF;
          head_tenant := e.tenant_id;
          have_head := true;
        END IF;
        n := n + 1;
        ids[n] := e.id;
        seqs[n] := head_seq + 1;
        prevs[n] := head_hash;
        head_hash := encode(sha256(convert_to('["' || head_hash || '", ' || substr(e.rest, 2), 'UTF8')), 'hex');
        hashes[n] := head_hash;
        head_seq := head_seq + 1;
      END LOOP;
      IF n > 0 THEN
        UPDATE audit_events a SET chain_seq = u.seq, prev_hash = u.prev, hash = u.hash
          FROM unnest(ids, seqs, prevs, hashes) AS u(id, seq, prev, hash)
         WHERE a.id = u.id;
      END IF;
      RETURN n;
    END $$`)
}

/** Back to one statement per event (20261123_0002's body). */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE OR REPLACE FUNCTION audit_seal(p_limit integer, p_wait boolean) RETURNS integer LANGUAGE plpgsql AS $$
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
        IF NOT have_head OR head_tenant IS DISTINCT FROM e.tenant_id THEN
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
