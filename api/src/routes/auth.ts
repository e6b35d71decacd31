/**
 * Accounts: register (the first user of a tenant is its owner), sign in, and
 * accept an invitation (a new account, or an existing one joining the tenant).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { BadInput, Conflict, TooManyRequests, Unauthorized } from '../errors.ts'
import { appendAudit } from '../lib/audit.ts'
import { sha256Hex } from '../lib/device_tokens.ts'
import { LoginThrottle } from '../lib/login_throttle.ts'
import { dummyHash, hashPassword, verifyPassword } from '../lib/password.ts'
import { Membership } from '../models/membership.ts'
import { Tenant } from '../models/tenant.ts'
import { User } from '../models/user.ts'
import { LoginBody, LoginResponse, RegisterBody, RegisterResponse } from '../schemas/auth.ts'
import { commonErrors } from '../schemas/common.ts'
import { hashedSubject } from '../plugins/app/suspicious_activity.ts'
import { AcceptInvitationBody, AcceptInvitationResponse } from '../schemas/members.ts'

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
      // Ids only: an unknown account is named by a hash of its email, never the email.
      const tenants: string[] = user ? await app.knex('memberships').where({ user_id: user.id }).pluck('tenant_id') : []
      await app.suspicion.record('failed_logins', user ? { type: 'user', id: user.id } : { type: 'account', id: hashedSubject(account) }, tenants, app.config.loginRateLimit)
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

  // The invitation is claimed only when everything else holds, so a mistyped
  // password leaves the link usable; its row is locked so it is claimed once.
  app.post('/accept-invitation', {
    schema: { body: AcceptInvitationBody, response: { 200: AcceptInvitationResponse, ...commonErrors } },
    config: { rateLimit: { max: app.config.loginRateLimit, timeWindow: '1 minute' } },
  }, async (request) => {
    const { token, password } = request.body
    const joined = await app.knex.transaction(async (trx) => {
      const invitation = await trx('invitations')
        .where({ token_hash: sha256Hex(token) }).whereNull('accepted_at').andWhere('expires_at', '>', trx.fn.now())
        .forUpdate().first()
      if (!invitation) throw new Unauthorized('This invitation is unknown, already used or expired; ask for a new one')
      // Revoked by an owner or admin of the farm (DELETE /api/members/invitations/:id): only they can invite again.
      if (invitation.revoked_at) throw new Unauthorized('This invitation was revoked by the farm; ask them for a new one')
      const account = String(invitation.email).toLowerCase()
      if (throttle.blocked(account)) throw new TooManyRequests('Too many failed attempts for this account; wait a minute and try again')
      let user = await User.query(trx).whereRaw('lower(email) = lower(?)', [invitation.email]).first()
      if (user) {
        if (!(await verifyPassword(password, user.password_hash))) {
          throttle.fail(account)
          throw new Unauthorized('Wrong password for the invited account; use the password you sign in with')
        }
        const member = await Membership.query(trx).findOne({ user_id: user.id, tenant_id: invitation.tenant_id })
        if (member) throw new Conflict('accept the invitation', 'this account is already a member of the tenant')
      } else {
        if (password.length < 10) throw new BadInput('accept the invitation', 'a new account needs a password of at least 10 characters')
        user = await User.query(trx).insert({ email: invitation.email, password_hash: await hashPassword(password) }).returning('*')
      }
      await Membership.query(trx).insert({ user_id: user.id, tenant_id: invitation.tenant_id, role: invitation.role, allowed_site_ids: invitation.allowed_site_ids })
      await trx('invitations').where({ id: invitation.id }).update({ accepted_at: trx.fn.now(), accepted_by: user.id })
      await appendAudit(trx, { tenantId: invitation.tenant_id, actorType: 'user', actorId: user.id, action: 'member.join', targetType: 'invitation', targetId: invitation.id, details: { role: invitation.role } })
      const tenant = await Tenant.query(trx).findById(invitation.tenant_id)
      return { user, tenant: tenant!, role: invitation.role as Membership['role'] }
    })
    throttle.succeed(String(joined.user.email).toLowerCase())
    return {
      token: app.jwt.sign({ sub: joined.user.id, tid: joined.tenant.id }),
      user: { id: joined.user.id, email: joined.user.email },
      tenant: { id: joined.tenant.id, name: joined.tenant.name, role: joined.role },
    }
  })
}

export default auth
