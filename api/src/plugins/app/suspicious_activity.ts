/**
 * Suspicious activity: many failed sign-ins to one account, many failed enrolment
 * attempts from one address, rapid rewrites of one block. Each raises one alert per
 * window (per tenant concerned: a security_alerts row, an audit event, and a
 * `security.alert` stream event for its owners and admins; a warning in the log with
 * ids only); sign-ins and enrolments past the limit are refused (429) by their routes. Rapid rewrites are alerted only: a legitimate bulk re-encryption
 * (a key rotation, a benchmark) writes just as fast, and refusing it would strand it.
 */
import { createHash } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { recordSecurityAlert } from '../../lib/security_alerts.ts'
import { WindowCounter } from '../../lib/window_counter.ts'
import type { SecurityAlertKind } from '../../schemas/security.ts'

export type SuspicionKind = SecurityAlertKind

/** Writes of one block (tenant, subject) per minute above which an alert is raised. */
export const REWRITES_PER_MINUTE = 60
const WINDOW_MS = 60_000

export interface Suspicion {
  /**
   * Counts one event; when the count reaches `threshold`, raises the alert once.
   * @returns the count in the current window
   */
  record(kind: SuspicionKind, subject: { type: string; id: string }, tenantIds: (string | null)[], threshold: number): Promise<number>
  /** The current window's count of `kind` for `subject`. */
  count(kind: SuspicionKind, subject: { type: string; id: string }): number
}

declare module 'fastify' {
  interface FastifyInstance {
    suspicion: Suspicion
  }
}

/** A stable id for a subject we must not store as it is (an email, an address). */
export const hashedSubject = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 32)

// The routes that replace a block, and where each names its subject.
const BLOCK_WRITES: Record<string, (request: FastifyRequest) => string[]> = {
  'POST /api/miners/:id/credentials': (r) => [(r.params as { id: string }).id],
  'POST /api/miners/:id/connection_full': (r) => [(r.params as { id: string }).id],
  'POST /api/pool-keys/:id/rotate': (r) => [(r.params as { id: string }).id],
  'POST /api/sync': (r) => ((r.body as { changes?: { subject_id?: string }[] } | undefined)?.changes ?? []).map((c) => String(c.subject_id)),
  'POST /api/sync/': (r) => ((r.body as { changes?: { subject_id?: string }[] } | undefined)?.changes ?? []).map((c) => String(c.subject_id)),
}

export default fp(
  async (app) => {
    const counters: Record<SuspicionKind, WindowCounter> = {
      failed_logins: new WindowCounter(WINDOW_MS),
      enrollment_attempts: new WindowCounter(WINDOW_MS),
      rapid_block_rewrites: new WindowCounter(WINDOW_MS),
    }

    async function raise(kind: SuspicionKind, subject: { type: string; id: string }, tenantIds: (string | null)[], count: number): Promise<void> {
      app.log.warn({ alert: kind, subject_type: subject.type, subject_id: subject.id, count }, 'suspicious activity')
      await app.knex.transaction(async (trx) => {
        for (const tenantId of tenantIds) await recordSecurityAlert(trx, tenantId, { kind, subject, count, windowS: WINDOW_MS / 1000 })
      })
    }

    app.decorate('suspicion', {
      async record(kind, subject, tenantIds, threshold) {
        const count = counters[kind].hit(`${subject.type}:${subject.id}`)
        // Exactly at the threshold, so one burst raises one alert per window.
        if (count === threshold) {
          await raise(kind, subject, tenantIds.length ? tenantIds : [null], count).catch((err: Error) =>
            app.log.error({ err: { message: err.message } }, 'cannot record a security alert'))
        }
        return count
      },
      count: (kind, subject) => counters[kind].count(`${subject.type}:${subject.id}`),
    } satisfies Suspicion)

    // Synchronous, and out at once for anything but a block write: it runs on every request.
    app.addHook('onResponse', (request, reply, done) => {
      if (request.method === 'POST' && reply.statusCode < 300 && request.actor) {
        const subjects = BLOCK_WRITES[`${request.method} ${request.routeOptions.url}`]
        for (const id of new Set(subjects?.(request) ?? [])) {
          void app.suspicion.record('rapid_block_rewrites', { type: 'block_subject', id }, [request.actor.tenantId], REWRITES_PER_MINUTE)
        }
      }
      done()
    })
  },
  { name: 'suspicious-activity', dependencies: ['db', 'auth'] },
)
