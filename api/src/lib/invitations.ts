/**
 * Invitation tokens and the rules of who may invite whom. A token is shown once
 * (for the one-time link); the database keeps only its SHA-256.
 */
import { randomBytes } from 'node:crypto'
import type { Knex } from 'knex'
import { BadInput, Forbidden } from '../errors.ts'
import type { Actor } from '../plugins/app/auth.ts'
import type { Role } from '../schemas/common.ts'
import { atLeast } from './access.ts'

/** How long an invitation link stays valid. */
export const INVITATION_TTL_MS = 7 * 24 * 3600_000

/** A new invitation token: `hii_` and 32 random bytes. */
export function newInvitationToken(): string {
  return `hii_${randomBytes(32).toString('base64url')}`
}

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
