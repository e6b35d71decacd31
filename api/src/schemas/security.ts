/** Security alerts (plugins/app/suspicious_activity.ts): as listed, and as the stream's `security.alert` event carries them. */
import Type, { type Static } from 'typebox'
import { Timestamp } from './common.ts'

export const SecurityAlertKind = Type.Union([Type.Literal('failed_logins'), Type.Literal('enrollment_attempts'), Type.Literal('rapid_block_rewrites')])

/** Subjects are ids or hashes (`user` and a user id, `block_subject` and a miner's or pool key's id): never an email, a code or a block. */
export const SecurityAlert = Type.Object({
  id: Type.String(),
  kind: SecurityAlertKind,
  subject_type: Type.String(),
  subject_id: Type.String(),
  count: Type.Integer(),
  window_s: Type.Integer(),
  at: Timestamp,
})
export const SecurityAlertList = Type.Object({ alerts: Type.Array(SecurityAlert) })

export type SecurityAlert = Static<typeof SecurityAlert>
export type SecurityAlertKind = Static<typeof SecurityAlertKind>
