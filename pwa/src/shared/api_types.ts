/**
 * The API's wire types, derived from its schemas (type-only imports: nothing of
 * the API is bundled), so the PWA never restates the contract by hand.
 */
import type { Static } from 'typebox'
import type { LoginResponse as LoginSchema } from '../../../api/src/schemas/auth.ts'
import type { KeyringResponse as KeyringSchema } from '../../../api/src/schemas/keyring.ts'
import type { Alert as AlertSchema, FarmLiveResponse as FarmLiveSchema, HistoryResponse as HistorySchema, SiteLiveResponse as SiteLiveSchema } from '../../../api/src/schemas/live.ts'
import type { MinerResponse as MinerSchema } from '../../../api/src/schemas/miners.ts'
import type { SiteResponse as SiteSchema } from '../../../api/src/schemas/sites.ts'
import type { ChangeResult as ChangeResultSchema, PullResponse as PullSchema, SyncedMiner as SyncedMinerSchema } from '../../../api/src/schemas/sync.ts'
import type { ConnectionFullResponse as ConnectionSchema, CredentialsResponse as CredentialsSchema, StoredBlock as StoredBlockSchema } from '../../../api/src/schemas/secrets.ts'
import type { CommandProgressEvent as CommandProgressSchema, CommandResponse as CommandSchema } from '../../../api/src/schemas/commands.ts'
import type { ChangeView as ChangeSchema } from '../../../api/src/schemas/changes.ts'
import type { AuditEventResponse as AuditEventSchema, AuditVerifyResponse as AuditVerifySchema } from '../../../api/src/schemas/audit.ts'
import type { CreatedDeviceResponse as CreatedDeviceSchema, DeviceResponse as DeviceSchema } from '../../../api/src/schemas/edge.ts'
import type { PoolKeyView as PoolKeySchema } from '../../../api/src/schemas/pool_keys.ts'
import type { RotationResponse as RotationResponseSchema, RotationView as RotationSchema } from '../../../api/src/schemas/key_rotation.ts'
import type { CreatedInvitationResponse as CreatedInvitationSchema, MemberListResponse as MemberListSchema } from '../../../api/src/schemas/members.ts'
import type { SecurityAlert as SecurityAlertSchema } from '../../../api/src/schemas/security.ts'
import type { BlockKind, WrappedKeyring } from '../../../e2ee/schema.ts'

export type { BlockKind, WrappedKeyring }
export type LoginResponse = Static<typeof LoginSchema>
export type KeyringResponse = Static<typeof KeyringSchema>
export type Miner = Static<typeof MinerSchema>
export type Site = Static<typeof SiteSchema>
export type StoredBlock = Static<typeof StoredBlockSchema>
export type CredentialsResponse = Static<typeof CredentialsSchema>
export type ConnectionFullResponse = Static<typeof ConnectionSchema>
export type FarmLive = Static<typeof FarmLiveSchema>
export type SiteLive = Static<typeof SiteLiveSchema>
export type LiveMiner = SiteLive['miners'][number]
export type SiteTotals = SiteLive['totals']
export type Alert = Static<typeof AlertSchema>
export type History = Static<typeof HistorySchema>
/** A miner as GET /api/sync delivers it: metadata and both blocks at one revision. */
export type SyncedMiner = Static<typeof SyncedMinerSchema>
export type PullResponse = Static<typeof PullSchema>
export type ChangeResult = Static<typeof ChangeResultSchema>
/** A four-eyes change request (disable full E2EE, revoke a device, change a role, rotate the key). */
export type ChangeRequest = Static<typeof ChangeSchema>
/** An edge device as owners and admins list it: status, last seen, key fingerprint, granted kid. */
export type EdgeDevice = Static<typeof DeviceSchema>
/** A new device and its one-time enrolment code (shown once). */
export type CreatedDevice = Static<typeof CreatedDeviceSchema>
/** One event of the tenant's hash-chained audit log. */
export type AuditEvent = Static<typeof AuditEventSchema>
/** The audit chain check: `ok`, events checked, the first broken event and why. */
export type AuditVerify = Static<typeof AuditVerifySchema>
/** A pool API key: label, pool, scopes, fingerprint in clear; key and secret only in its block. */
export type PoolKey = Static<typeof PoolKeySchema>
/** A data-key rotation: status, old and new kid, the old wrapped keyring while it runs, progress. */
export type KeyRotation = Static<typeof RotationSchema>
/** GET /api/keyring/rotation: the open rotation and what is still under the old kid. */
export type KeyRotationState = Static<typeof RotationResponseSchema>
/** A remote-control command as members read it: routing metadata, status, per-miner results. */
export type CommandView = Static<typeof CommandSchema>
/** The stream's `command.progress`: the summary after a recorded part, and that part's results. */
export type CommandProgress = Static<typeof CommandProgressSchema>

/** GET /api/members: the members (role, sites; null sites: every site) and pending invitations. */
export type MemberList = Static<typeof MemberListSchema>
export type Member = MemberList['members'][number]
export type Invitation = MemberList['invitations'][number]
/** A new invitation and its one-time `hii_…` token (shown once; the server keeps its hash). */
export type CreatedInvitation = Static<typeof CreatedInvitationSchema>
/** A security alert (GET /api/security/alerts, and the stream's `security.alert` for owners and admins). */
export type SecurityAlert = Static<typeof SecurityAlertSchema>
/** A member's role. */
export type Role = Member['role']

/** A queued change as POST /api/sync takes it, less the ids and base revision added when it is sent. */
export type QueuedChange =
  | { kind: 'credentials'; block: StoredBlock }
  | { kind: 'connection_full'; use_full_e2ee: true; block: StoredBlock }
  | { kind: 'connection_full'; use_full_e2ee: false; ip_address: string; port?: number }

/** Plan A's secret: the miner's login and the pool password. */
export interface Credentials {
  username: string
  password: string
  pool_password: string
}

/** Plan B's secret: everything needed to reach the miner and its pool. */
export interface FullConnection {
  ip_address: string
  port: number
  username: string
  password: string
  pool_url: string
  pool_user: string
  pool_password: string
}
