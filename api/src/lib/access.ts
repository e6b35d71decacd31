/**
 * The access rules of DESIGN.md, in one place:
 * RULE-1 tenant isolation, RULE-2 site isolation, RULE-3 sensitive actions need
 * owner/admin, RULE-4 creating miners needs operator or above.
 * A resource the caller may not see answers 404, never 403, so ids leak nothing.
 */
import type { Knex } from 'knex'
import { Forbidden, NotFound } from '../errors.ts'
import { Miner, type MinerRow } from '../models/miner.ts'
import { Site } from '../models/site.ts'
import type { Role } from '../schemas/common.ts'
import type { Actor } from '../plugins/app/auth.ts'

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3, owner: 4 }

/** True when `role` is `min` or above in owner > admin > operator > viewer. */
export function atLeast(role: Role, min: Role): boolean {
  return RANK[role] >= RANK[min]
}

/**
 * Throws 403 unless the actor's role is at least `min`.
 * @param action what the caller tried, for the message ("disable full E2EE")
 */
export function requireRole(actor: Actor, min: Role, action: string): void {
  if (!atLeast(actor.role, min)) {
    throw new Forbidden(action, `needs the ${min} role or above; you are ${actor.role}`)
  }
}

/** RULE-2: a member limited to some sites sees only those. */
export function canSeeSite(actor: Actor, siteId: string): boolean {
  return actor.allowedSiteIds === null || actor.allowedSiteIds.includes(siteId)
}

/** A site of the actor's tenant that the actor may see, or 404. */
export async function findVisibleSite(db: Knex, actor: Actor, siteId: string): Promise<Site> {
  const site = await Site.query(db).findOne({ id: siteId, tenant_id: actor.tenantId })
  if (!site || !canSeeSite(actor, site.id)) throw new NotFound('Site')
  return site
}

/**
 * A miner of the actor's tenant on a site the actor may see, or 404.
 * @param columns the columns to read besides id and site_id (all by default)
 */
export async function findVisibleMiner<C extends keyof MinerRow = keyof MinerRow>(
  db: Knex, actor: Actor, minerId: string, columns?: readonly C[],
): Promise<Pick<MinerRow, C | 'id' | 'site_id'>> {
  const miner = (await db(Miner.tableName)
    .where({ id: minerId, tenant_id: actor.tenantId })
    .first(columns ? ['id', 'site_id', ...columns] : '*')) as Pick<MinerRow, C | 'id' | 'site_id'> | undefined
  if (!miner || !canSeeSite(actor, miner.site_id)) throw new NotFound('Miner')
  return miner
}

/**
 * Like findVisibleMiner, for a read-modify-write: locks the miner's row until the
 * transaction ends and, in the same round trip, reads the tenant's current keyring id.
 */
export async function lockVisibleMiner(trx: Knex.Transaction, actor: Actor, minerId: string): Promise<{ miner: MinerRow; keyringKid: string | null }> {
  const row: (MinerRow & { keyring_kid: string | null }) | undefined = await trx(`${Miner.tableName} as m`)
    .leftJoin('keyrings as k', 'k.tenant_id', 'm.tenant_id')
    .where({ 'm.id': minerId, 'm.tenant_id': actor.tenantId })
    .select('m.*', 'k.kid as keyring_kid')
    .forUpdate('m')
    .first()
  if (!row || !canSeeSite(actor, row.site_id)) throw new NotFound('Miner')
  const { keyring_kid, ...miner } = row
  return { miner, keyringKid: keyring_kid }
}
