/**
 * Who is calling: verifies the session token and loads the caller's membership
 * from the database on every request, so a changed role or removed member takes
 * effect at once rather than when the token expires.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Unauthorized } from '../../errors.ts'
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
    /** preHandler for routes that need a signed-in member. */
    authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void>
  }
}

export default fp(
  async (app) => {
    app.decorateRequest('actor', null as unknown as Actor)
    app.decorate('authenticate', async (request: FastifyRequest) => {
      try {
        await request.jwtVerify()
      } catch {
        throw new Unauthorized('Missing, expired or invalid session token')
      }
      const { sub, tid } = request.user
      const membership = await Membership.query(app.knex).findOne({ user_id: sub, tenant_id: tid })
      if (!membership) throw new Unauthorized('This account is no longer a member of the tenant')
      request.actor = {
        userId: sub,
        tenantId: tid,
        role: membership.role,
        allowedSiteIds: membership.allowed_site_ids,
      }
    })
  },
  { name: 'auth', dependencies: ['db', 'jwt'] },
)
