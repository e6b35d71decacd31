/** Members of a tenant and the invitations that make new ones. */
import Type, { type Static } from 'typebox'
import { Email, TenantResponse, UserResponse } from './auth.ts'
import { Role, Timestamp, Uuid } from './common.ts'

/** NULL: every site of the tenant (RULE-2); otherwise only these. */
export const AllowedSiteIds = Type.Union([Type.Array(Uuid, { maxItems: 1000, uniqueItems: true }), Type.Null()])

export const CreateInvitationBody = Type.Object(
  { email: Email, role: Role, allowed_site_ids: Type.Optional(AllowedSiteIds) },
  { additionalProperties: false },
)
/** Whether the invitation's link was emailed: `not_sent` (no mail server set up), `queued` (retrying after `detail` while the API runs), `sent`, `failed` (`detail` says why). */
export const EmailDelivery = Type.Object({
  status: Type.Union([Type.Literal('not_sent'), Type.Literal('queued'), Type.Literal('sent'), Type.Literal('failed')]),
  detail: Type.Union([Type.String(), Type.Null()]),
  sent_at: Type.Union([Timestamp, Type.Null()]),
  attempts: Type.Integer({ minimum: 0 }),
})
export const InvitationView = Type.Object({
  id: Uuid,
  email: Type.String(),
  role: Role,
  allowed_site_ids: AllowedSiteIds,
  expires_at: Timestamp,
  created_at: Timestamp,
  email_delivery: EmailDelivery,
})
export const CreatedInvitationResponse = Type.Object({
  invitation: InvitationView,
  /**
   * For the one-time link, shown once, and only when it is not emailed: an emailed
   * link reaches the invitee's mailbox alone. The server keeps only its SHA-256.
   */
  token: Type.Optional(Type.String()),
})

/** A revoked invitation: 204, no body. */
export const RevokedInvitationResponse = Type.Null()

/** `hii_` and 32 random bytes in base64url. */
export const InvitationToken = Type.String({ pattern: '^hii_[A-Za-z0-9_-]{43}$', description: 'an invitation token (hii_…)' })
export const AcceptInvitationBody = Type.Object(
  { token: InvitationToken, password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
)
export const AcceptInvitationResponse = Type.Object({ token: Type.String(), user: UserResponse, tenant: TenantResponse })

export const MemberView = Type.Object({
  user_id: Uuid,
  email: Type.String(),
  role: Role,
  allowed_site_ids: AllowedSiteIds,
  joined_at: Timestamp,
})
export const MemberListResponse = Type.Object({ members: Type.Array(MemberView), invitations: Type.Array(InvitationView) })

export type CreateInvitationBody = Static<typeof CreateInvitationBody>
export type AcceptInvitationBody = Static<typeof AcceptInvitationBody>
export type MemberView = Static<typeof MemberView>
export type EmailDelivery = Static<typeof EmailDelivery>
