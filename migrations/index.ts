/**
 * Every migration, in order. Listed by import rather than read from the folder so
 * the same source runs under tsx, vitest and a bundle without a TypeScript loader.
 */
import type { Knex } from 'knex'
import * as core from './20261123_0001_core.ts'
import * as keyringsAudit from './20261123_0002_keyrings_audit.ts'
import * as membershipNotify from './20261123_0003_membership_notify.ts'
import * as edge from './20261123_0004_edge.ts'
import * as sync from './20261123_0005_sync.ts'
import * as live from './20261123_0006_live.ts'
import * as rollups from './20261123_0007_rollups.ts'
import * as streamEventsJson from './20261201_0008_stream_events_json.ts'
import * as teamSecurity from './20261201_0009_team_security.ts'
import * as commands from './20261201_0011_commands.ts'
import * as keyRotationOldKeyring from './20261201_0012_key_rotation_old_keyring.ts'
import * as securityAlerts from './20261201_0013_security_alerts.ts'
import * as poolKeyStats from './20261201_0015_pool_key_stats.ts'
import * as invitationEmails from './20261201_0016_invitation_emails.ts'
import * as invitationEmailsOrigin from './20261201_0017_invitation_emails_origin.ts'
import * as invitationRevocation from './20261201_0018_invitation_revocation.ts'
import * as auditSealBatched from './20261201_0019_audit_seal_batched.ts'
import * as feedPrimaryKeys from './20261201_0020_feed_primary_keys.ts'

type Migration = { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> }

const migrations: Record<string, Migration> = {
  '20261123_0001_core': core,
  '20261123_0002_keyrings_audit': keyringsAudit,
  '20261123_0003_membership_notify': membershipNotify,
  '20261123_0004_edge': edge,
  '20261123_0005_sync': sync,
  '20261123_0006_live': live,
  '20261123_0007_rollups': rollups,
  '20261201_0008_stream_events_json': streamEventsJson,
  '20261201_0009_team_security': teamSecurity,
  '20261201_0011_commands': commands,
  '20261201_0012_key_rotation_old_keyring': keyRotationOldKeyring,
  '20261201_0013_security_alerts': securityAlerts,
  '20261201_0015_pool_key_stats': poolKeyStats,
  '20261201_0016_invitation_emails': invitationEmails,
  '20261201_0017_invitation_emails_origin': invitationEmailsOrigin,
  '20261201_0018_invitation_revocation': invitationRevocation,
  '20261201_0019_audit_seal_batched': auditSealBatched,
  '20261201_0020_feed_primary_keys': feedPrimaryKeys,
}

/** A knex migration source over the list above. */
export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name]!,
}

/** Applies every pending migration. */
export async function migrateLatest(knex: Knex): Promise<void> {
  await knex.migrate.latest({ migrationSource })
}
