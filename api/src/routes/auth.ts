/** Accounts: register (the first user of a tenant is its owner) and sign in. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Conflict } from '../errors.ts'
import { appendAudit } from '../lib/audit.ts'
import { LoginThrottle } from '../lib/login_throttle.ts'
import { dummyHash, hashPassword, verifyPassword } from '../lib/password.ts'
import { Membership } from '../models/membership.ts'
import { Tenant } from '../models/tenant.ts'
import { User } from '../models/user.ts'
import { LoginBody, LoginResponse, RegisterBody, RegisterResponse } from '../schemas/auth.ts'
import { commonErrors } from '../schemas/common.ts'

const auth: FastifyPluginAsyncTypebox = async (app) => {
  const throttle = new LoginThrottle(app.config.loginRateLimit)

  app.post('/register', {
    schema: { body: RegisterBody, response: { 201: RegisterResponse, ...commonErrors } },
    config: { rateLimit: { max: app.config.loginRateLimit, timeWindow: '1 minute' } },
  }, async (request, reply) => {
    const { email, password, tenantName } = request.body
    const passwordHash = await hashPassword(password)
    const result = await app.knex.transaction(async (trx) => {
      const existing = await User.query(trx).whereRaw('lower(email) = lower(?)', [email]).first()
      if (existing) throw new Conflict('register', 'an account with this email already exists; sign in instead')
      const user = await User.query(trx).insert({ email, password_hash: passwordHash }).returning('*')
      const tenant = await Tenant.query(trx).insert({ name: tenantName }).returning('*')
      await Membership.query(trx).insert({ user_id: user.id, tenant_id: tenant.id, role: 'owner', allowed_site_ids: null })
      await appendAudit(trx, { tenantId: tenant.id, actorType: 'user', actorId: user.id, action: 'tenant.create', targetType: 'tenant', targetId: tenant.id })
      return { user, tenant }
    }).catch((err: { code?: string }) => {
      // Two registrations racing for one email: the unique index decides.
      if (err.code === '23505') throw new Conflict('register', 'an account with this email already exists; sign in instead')
      throw err
    })
    const token = app.jwt.sign({ sub: result.user.id, tid: result.tenant.id })
    return reply.code(201).send({
      token,
      user: { id: result.user.id, email: result.user.email },
      tenant: { id: result.tenant.id, name: result.tenant.name, role: 'owner' as const },
    })
  })

  app.post('/login', {
    schema: { body: LoginBody, response: { 200: LoginResponse, ...commonErrors } },
    config: { rateLimit: { max: app.config.loginRateLimit, timeWindow: '1 minute' } },
  }, async (request, reply) => {
    const { email, password, tenantId } = request.body
    const account = email.toLowerCase()
    if (throttle.blocked(account)) {
      return reply.code(429).send({ statusCode: 429, error: 'Too Many Requests', message: 'Too many failed sign-ins for this account; wait a minute and try again' })
    }
    const user = await User.query(app.knex).whereRaw('lower(email) = lower(?)', [email]).first()
    const valid = await verifyPassword(password, user?.password_hash ?? (await dummyHash()))
    const membership = user && valid
      ? await Membership.query(app.knex).where({ user_id: user.id }).modify((q) => (tenantId ? q.where({ tenant_id: tenantId }) : q)).orderBy('created_at').first()
      : undefined
    if (!user || !valid || !membership) {
      throttle.fail(account)
      return reply.code(401).send({ statusCode: 401, error: 'Unauthorized', message: 'Wrong email or password' })
    }
    throttle.succeed(account)
    const tenant = await Tenant.query(app.knex).findById(membership.tenant_id)
    return {
      token: app.jwt.sign({ sub: user.id, tid: membership.tenant_id }),
      user: { id: user.id, email: user.email },
      tenant: { id: membership.tenant_id, name: tenant!.name, role: membership.role },
    }
  })
}

export default auth
