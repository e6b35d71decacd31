/** Members and invitations as owners and admins read and make them. */
import type { CreatedInvitation, Invitation, MemberList, Role, Site } from '../../shared/api_types.ts'
import { api } from '../api.ts'
import { session } from '../state.ts'

const token = () => session.value?.token ?? null

/** Who a role is for, in a line, for the role pickers. */
export const ROLE_MEANING: Record<Role, string> = {
  owner: 'Owner: everything, including making other owners',
  admin: 'Admin: members, devices, keys and sites',
  operator: 'Operator: adds and edits miners, sends commands',
  viewer: 'Viewer: reads the farm, changes nothing',
}

/** The roles the signed-in member may hand out: nobody grants more than they hold. */
export function grantableRoles(): Role[] {
  return session.value?.tenant.role === 'owner' ? ['owner', 'admin', 'operator', 'viewer'] : ['admin', 'operator', 'viewer']
}

/** Members (role, sites) and the invitations nobody has accepted yet. */
export function listMembers(): Promise<MemberList> {
  return api<MemberList>('GET', '/api/members', token())
}

/**
 * Invites `email`. Without a mail server the answer carries the one-time token, which this
 * app shows once and keeps nowhere; with one, the link goes to the invitee's mailbox only.
 */
export function invite(email: string, role: Role, allowedSiteIds: string[] | null): Promise<CreatedInvitation> {
  return api<CreatedInvitation>('POST', '/api/members/invitations', token(), { email, role, allowed_site_ids: allowedSiteIds })
}

/** Revokes a pending invitation: its link stops working, and an email not yet sent is not sent. */
export async function revokeInvitation(invitationId: string): Promise<void> {
  await api<null>('DELETE', `/api/members/invitations/${encodeURIComponent(invitationId)}`, token())
}

/**
 * The link that opens the accept page. The token sits in the fragment: browsers never
 * send it to a server, so no access log or proxy records it.
 * @example inviteLink('hii_abc', 'https://farm.example') // 'https://farm.example/accept#token=hii_abc'
 */
export function inviteLink(invitationToken: string, origin: string = location.origin): string {
  return `${origin}/accept#token=${encodeURIComponent(invitationToken)}`
}

/** Site access in words: "Every site" for null, else the sites' names (ids it cannot name stay short). */
export function describeSites(ids: string[] | null, sites: Site[]): string {
  if (ids === null) return 'Every site'
  if (ids.length === 0) return 'No sites'
  return ids.map((id) => sites.find((s) => s.id === id)?.name ?? `site ${id.slice(0, 8)}`).join(', ')
}

/**
 * Where an invitation's email stands, in words, for its card.
 * @example describeDelivery(invitation) // 'Email sent to ana@example.com, 01/12/2026 10:02'
 */
export function describeDelivery(invitation: Invitation): string {
  const d = invitation.email_delivery
  switch (d.status) {
    case 'sent': return `Email sent to ${invitation.email}${d.sent_at ? `, ${new Date(d.sent_at).toLocaleString()}` : ''}`
    case 'queued': return d.detail ? `Email to ${invitation.email} not sent yet (${d.detail})` : `Email to ${invitation.email} on its way`
    case 'failed': return `Not emailed: ${d.detail ?? 'the mail server refused it'}. Invite them again for a new link`
    case 'not_sent': return 'Not emailed — copy the link shown when you invited them and send it yourself'
  }
}
