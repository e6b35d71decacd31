import type { Knex } from 'knex'

/**
 * Every change to a membership is announced on channel `membership_changed`
 * (payload `<user_id>:<tenant_id>`), so every API process drops its cached copy
 * at once and a removed member or lowered role takes effect everywhere.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION memberships_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('membership_changed', OLD.user_id || ':' || OLD.tenant_id);
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify('membership_changed', NEW.user_id || ':' || NEW.tenant_id);
      END IF;
      RETURN NULL;
    END $$`)
  await knex.raw(`CREATE TRIGGER memberships_notify AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_notify()`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS memberships_notify ON memberships')
  await knex.raw('DROP FUNCTION IF EXISTS memberships_notify')
}
