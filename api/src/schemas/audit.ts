import Type from 'typebox'
import { Timestamp } from './common.ts'

export const AuditEventResponse = Type.Object({
  id: Type.String({ pattern: '^[0-9]+$' }),
  /** Position in the tenant's chain; `before` pages by it. */
  seq: Type.Integer({ minimum: 1 }),
  actor_type: Type.String(),
  actor_id: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  target_type: Type.Union([Type.String(), Type.Null()]),
  target_id: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
  at: Timestamp,
  prev_hash: Type.String(),
  hash: Type.String(),
})
export const AuditListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    before: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$' })),
  },
  { additionalProperties: false },
)
export const AuditListResponse = Type.Object({ events: Type.Array(AuditEventResponse) })
export const AuditVerifyResponse = Type.Object({
  ok: Type.Boolean(),
  checked: Type.Integer(),
  first_broken_id: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
})
