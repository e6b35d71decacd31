/**
 * How many invitations may be made: per member and per tenant in an hour, and how many
 * of a tenant may wait at once. With open registration, anyone can own a tenant, so
 * without these an invitation would be a way to send any address mail from MAIL_FROM.
 */
import type { Knex } from 'knex'
import { Conflict, TooManyRequests } from '../errors.ts'
import type { Actor } from '../plugins/app/auth.ts'
import { openInvitationSql } from './invitations.ts'
import { WindowCounter } from './window_counter.ts'

const HOUR_MS = 3600_000

/** Invitations per member and per tenant within an hour; in memory, so each API node counts its own share (as for sign-ins). */
export class InvitationRateLimiter {
  readonly #perUser = new WindowCounter(HOUR_MS)
  readonly #perTenant = new WindowCounter(HOUR_MS)

  constructor(readonly perUser: number, readonly perTenant: number) {}

  /**
   * Counts one invitation by `actor`, before it is made, so a burst of parallel requests cannot all pass.
   * @throws TooManyRequests (nothing counted) when the member or the tenant has made its hour's share
   */
  take(actor: Actor, now = Date.now()): void {
    if (this.#perUser.count(actor.userId, now) >= this.perUser) {
      throw new TooManyRequests(`Cannot invite a member: you made ${this.perUser} invitations within the hour, the most allowed; try again later`)
    }
    if (this.#perTenant.count(actor.tenantId, now) >= this.perTenant) {
      throw new TooManyRequests(`Cannot invite a member: this farm made ${this.perTenant} invitations within the hour, the most allowed; try again later`)
    }
    this.#perUser.hit(actor.userId, now)
    this.#perTenant.hit(actor.tenantId, now)
  }
}

/**
 * Refuses a new invitation when `max` of the tenant's are waiting (neither accepted, revoked
 * nor expired). Call it in the transaction that inserts the invitation: it holds a per-tenant
 * lock until that ends, so two requests racing for the last place do not both get it.
 * @throws Conflict saying how to make room
 */
export async function checkPendingRoom(trx: Knex.Transaction, tenantId: string, max: number): Promise<void> {
  await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 7))', [`invitations:tenant:${tenantId}`])
  const waiting = await trx('invitations as i').where('i.tenant_id', tenantId).whereRaw(openInvitationSql('i')).count({ n: '*' }).first()
  if (Number(waiting?.n) >= max) {
    throw new Conflict('invite a member', `this farm has ${max} invitations waiting, the most it may have; revoke some, or wait until they are accepted or expire`)
  }
}
