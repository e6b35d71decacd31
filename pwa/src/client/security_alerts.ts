/**
 * Security alerts (many failed sign-ins, enrolment guesses, rapid block rewrites) as
 * owners and admins see them: the ones the live stream brought since this tab opened,
 * for the top bar's notice, and the recent ones the server lists. The server sends
 * `security.alert` events to owners and admins only; nobody else gets any to show.
 */
import { effect, signal } from '@preact/signals'
import type { SecurityAlert } from '../shared/api_types.ts'
import { api } from './api.ts'
import { session } from './state.ts'

const KEEP = 20

/** Alerts received live and not yet dismissed, newest first. */
export const liveSecurityAlerts = signal<SecurityAlert[]>([])

// Alerts belong to the member and tenant they were streamed to: signing out, or in as another
// account or tenant, starts with none, so nobody sees another farm's alerts on a shared device.
let alertsFor: string | null = null
effect(() => {
  const current = session.value ? `${session.value.user.id}:${session.value.tenant.id}` : null
  if (current === alertsFor) return
  alertsFor = current
  liveSecurityAlerts.value = []
})

/** Takes a `security.alert` event from the stream (once per alert, even if replayed). */
export function noteSecurityAlert(alert: SecurityAlert): void {
  if (liveSecurityAlerts.value.some((a) => a.id === alert.id)) return
  liveSecurityAlerts.value = [alert, ...liveSecurityAlerts.value].slice(0, KEEP)
}

export function dismissSecurityAlerts(): void {
  liveSecurityAlerts.value = []
}

/** The tenant's recent alerts, newest first (owner/admin). */
export async function listSecurityAlerts(): Promise<SecurityAlert[]> {
  return (await api<{ alerts: SecurityAlert[] }>('GET', '/api/security/alerts', session.value?.token ?? null)).alerts
}

/**
 * An alert in words. Subjects are ids, so a member reads as "your account" or by a short id.
 * @example describeSecurityAlert(a) // '10 failed sign-ins to your account within a minute; it is locked for the rest of it'
 */
export function describeSecurityAlert(alert: SecurityAlert, myUserId: string | undefined = session.value?.user.id): string {
  const minute = alert.window_s === 60 ? 'a minute' : `${alert.window_s} s`
  switch (alert.kind) {
    case 'failed_logins': {
      const who = alert.subject_id === myUserId ? 'your account' : `the account of member ${alert.subject_id.slice(0, 8)}`
      return `${alert.count} failed sign-ins to ${who} within ${minute}; it is locked for the rest of it`
    }
    case 'enrollment_attempts':
      return `${alert.count} wrong enrolment codes from one address within ${minute}; that address is refused for the rest of it`
    case 'rapid_block_rewrites':
      return `The encrypted secrets of ${alert.subject_id.slice(0, 8)} were saved ${alert.count} times within ${minute}`
  }
}
