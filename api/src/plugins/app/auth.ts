/**
 * Who is calling: verifies the session token and looks up the caller's current
 * membership, so a changed role or removed member takes effect at once rather than
 * when the token expires. Lookups are cached per process and invalidated by the
 * database's change notifications (lib/membership_cache.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Unauthorized } from '../../errors.ts'
import { MembershipCache, type CachedMembership } from '../../lib/membership_cache.ts'
import { VerifiedTokens } from '../../lib/verified_tokens.ts'
import { Membership } from '../../models/membership.ts'
import type { Role } from '../../schemas/common.ts'

export interface Actor {
  userId: string
  tenantId: string
  role: Role
  /** null: all sites of the tenant (RULE-2). */
  allowedSiteIds: string[] | null
}

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor
  }
  interface FastifyInstance {
    /** onRequest hook for routes that need a signed-in member (session token). */
    authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void>
    /** The member's current role and sites, or undefined if no longer a member. */
    resolveActor(userId: string, tenantId: string): Promise<Actor | undefined>
  }
}

export default fp(
  async (app) => {
    const cache = new MembershipCache()
    const verified = new VerifiedTokens()
    app.dbEvents.on('membership_changed', (key) => cache.invalidate(key))
    app.dbEvents.onState((listening) => cache.setEnabled(listening))

    async function membership(userId: string, tenantId: string): Promise<CachedMembership | undefined> {
      const key = MembershipCache.key(userId, tenantId)
      const cached = cache.get(key)
      if (cached) return cached
      const generation = cache.generation
      const row: Pick<Membership, 'role' | 'allowed_site_ids'> | undefined = await app.knex(Membership.tableName)
        .where({ user_id: userId, tenant_id: tenantId })
        .first('role', 'allowed_site_ids')
      if (!row) return undefined
      const value = { role: row.role, allowedSiteIds: row.allowed_site_ids }
      cache.set(key, value, generation)
      return value
    }

    app.decorate('resolveActor', async (userId: string, tenantId: string) => {
      const member = await membership(userId, tenantId)
      return member ? { userId, tenantId, ...member } : undefined
    })
    app.decorateRequest('actor', null as unknown as Actor)
    app.decorate('authenticate', async (request: FastifyRequest) => {
      const header = request.headers.authorization
      const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined
      const known = token === undefined ? undefined : verified.get(token)
      if (known) request.user = known
      else {
        try {
          await request.jwtVerify()
        } catch {
          throw new Unauthorized('Missing, expired or invalid session token')
        }
        if (token !== undefined) verified.set(token, request.user)
      }
      // Tokens made for one purpose (a stream ticket) do not open the API.
      if (request.user.purpose) throw new Unauthorized('Missing, expired or invalid session token')
      const actor = await app.resolveActor(request.user.sub, request.user.tid)
      if (!actor) throw new Unauthorized('This account is no longer a member of the tenant')
      request.actor = actor
    })
  },
  { name: 'auth', dependencies: ['db', 'db-events', 'jwt'] },
)
