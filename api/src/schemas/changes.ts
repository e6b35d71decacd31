/**
 * Four-eyes change requests for sensitive actions: filed by one member, approved
 * by another owner/admin, then executed. Nothing secret travels in a request; the
 * one plaintext that must (a miner's address when full E2EE is turned off) comes
 * with the execute call and goes straight into the miner row, never into the request.
 */
import Type, { type Static } from 'typebox'
import { Role, Timestamp, Uuid } from './common.ts'
import { AllowedSiteIds } from './members.ts'
import { MinerAddress, MinerPort } from './miners.ts'

export const REQUEST_TYPES = ['DISABLE_FULL_E2EE', 'DEVICE_REVOKE', 'ROLE_CHANGE', 'BATCH_REENCRYPT'] as const
export const RequestType = Type.Union([
  Type.Literal('DISABLE_FULL_E2EE'), Type.Literal('DEVICE_REVOKE'), Type.Literal('ROLE_CHANGE'), Type.Literal('BATCH_REENCRYPT'),
])
export type RequestType = (typeof REQUEST_TYPES)[number]

/** What each type acts on: a miner, an edge device, a member (user id), the tenant (its id). */
export const TARGET_OF: Record<RequestType, TargetType> = {
  DISABLE_FULL_E2EE: 'miner',
  DEVICE_REVOKE: 'device',
  ROLE_CHANGE: 'member',
  BATCH_REENCRYPT: 'tenant',
}
export const TargetType = Type.Union([Type.Literal('miner'), Type.Literal('device'), Type.Literal('member'), Type.Literal('tenant')])
export type TargetType = 'miner' | 'device' | 'member' | 'tenant'

export const ChangeStatus = Type.Union([
  Type.Literal('PENDING'), Type.Literal('APPROVED'), Type.Literal('REJECTED'), Type.Literal('EXECUTED'), Type.Literal('EXPIRED'),
])
export type ChangeStatus = 'PENDING' | 'APPROVED' | 'REJECTED' | 'EXECUTED' | 'EXPIRED'

/** ROLE_CHANGE only: the member's new role and/or sites. */
export const RequestedAction = Type.Object(
  { role: Type.Optional(Role), allowed_site_ids: Type.Optional(AllowedSiteIds) },
  { additionalProperties: false },
)
export type RequestedAction = Static<typeof RequestedAction>

export const CreateChangeBody = Type.Object(
  {
    request_type: RequestType,
    target_type: TargetType,
    target_id: Uuid,
    reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' }),
    requested_action: Type.Optional(RequestedAction),
  },
  { additionalProperties: false },
)
export type CreateChangeBody = Static<typeof CreateChangeBody>

/**
 * Executing: DISABLE_FULL_E2EE needs the address the owner's device decrypted, since
 * the server kept none; the other types take an empty body.
 */
export const ExecuteChangeBody = Type.Object(
  { ip_address: Type.Optional(MinerAddress), port: Type.Optional(MinerPort) },
  { additionalProperties: false },
)
export type ExecuteChangeBody = Static<typeof ExecuteChangeBody>

export const ChangeListQuery = Type.Object({ status: Type.Optional(ChangeStatus) }, { additionalProperties: false })

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])
export const ChangeView = Type.Object({
  id: Uuid,
  request_type: RequestType,
  target_type: TargetType,
  target_id: Uuid,
  reason: Type.String(),
  requested_action: RequestedAction,
  status: ChangeStatus,
  requested_by: Uuid,
  decided_by: Nullable(Uuid),
  decided_at: Nullable(Timestamp),
  executed_by: Nullable(Uuid),
  executed_at: Nullable(Timestamp),
  expires_at: Timestamp,
  created_at: Timestamp,
  /** BATCH_REENCRYPT, once executed: the rotation it authorised. */
  rotation_id: Type.Optional(Uuid),
})
export type ChangeView = Static<typeof ChangeView>
export const ChangeListResponse = Type.Object({ changes: Type.Array(ChangeView) })
