/**
 * Invitation tokens and the rules of who may invite whom. A token travels only in
 * the one-time link (shown once, or emailed); the database keeps only its SHA-256.
 */
import { createHmac, hkdfSync } from 'node:crypto'
import type { Knex } from 'knex'
import { BadInput, Forbidden } from '../errors.ts'
import type { Actor } from '../plugins/app/auth.ts'
import type { Role } from '../schemas/common.ts'
import { atLeast } from './access.ts'

/** How long an invitation link stays valid. */
export const INVITATION_TTL_MS = 7 * 24 * 3600_000

/**
 * The token of an invitation: `hii_` and the HMAC-SHA256 of its id under a key derived
 * from the server secret (32 bytes, base64url). Derived rather than random so that the
 * mail sender can rebuild the link when it sends, after a restart or on another node,
 * while no table holds the token or anything that turns into it without the server
 * secret: a copy of the database opens no farm. Whoever holds that secret could compute
 * it, but they can already sign any session, so it grants them nothing new. It stays
 * one-time: accepting stamps the invitation, and it expires with it.
 * @param serverSecret the session-signing secret (config.jwtSecret)
 * @example invitationToken(secret, '0b3c…') // 'hii_Vx3…' (47 characters)
 */
export function invitationToken(serverSecret: string, invitationId: string): string {
  const key = Buffer.from(hkdfSync('sha256', serverSecret, '', 'hashinsight/invitation-token/v1', 32))
  return `hii_${createHmac('sha256', key).update(invitationId).digest('base64url')}`
}

/**
 * SQL for "the invitation named `alias` is still open": neither accepted, revoked nor
 * expired, so its link still opens something. The one definition of a pending invitation.
 * @example knex('invitations as i').whereRaw(openInvitationSql('i'))
 */
export const openInvitationSql = (alias: string) => `${alias}.accepted_at IS NULL AND ${alias}.revoked_at IS NULL AND ${alias}.expires_at > now()`

/**
 * Checks that `actor` may hand out `role` on `siteIds` (RULE-2, RULE-3): nobody grants
 * more than they hold — an admin cannot make an owner, and a member limited to some
 * sites cannot grant others or "all sites". Every site must be the tenant's.
 * @param action what the caller is doing, for the messages ("invite a member")
 */
export async function checkGrantable(db: Knex, actor: Actor, role: Role, siteIds: string[] | null, action: string): Promise<void> {
  if (role === 'owner' && actor.role !== 'owner') throw new Forbidden(action, 'only an owner can make another owner')
  if (!atLeast(actor.role, role)) throw new Forbidden(action, `you cannot grant the ${role} role as ${actor.role}`)
  if (actor.allowedSiteIds !== null) {
    if (siteIds === null) throw new Forbidden(action, 'you are limited to some sites, so you cannot grant all sites')
    const outside = siteIds.filter((id) => !actor.allowedSiteIds!.includes(id))
    if (outside.length) throw new Forbidden(action, `site ${outside[0]} is not one of yours`)
  }
  if (siteIds && siteIds.length) {
    const found: string[] = await db('sites').where({ tenant_id: actor.tenantId }).whereIn('id', siteIds).pluck('id')
    const missing = siteIds.find((id) => !found.includes(id))
    if (missing) throw new BadInput(action, `site ${missing} is not a site of this tenant`)
  }
}
