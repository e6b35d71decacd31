/** The PWA's live security alerts belong to one member of one tenant: signing out or switching clears them. */
import { beforeAll, describe, expect, test } from 'vitest'
import type { SecurityAlert } from '../pwa/src/shared/api_types.ts'

// Typed here rather than by the modules: the root tsconfig has no DOM types for the rest of the PWA's code.
type Session = { token: string; user: { id: string; email: string }; tenant: { id: string; name: string; role: string } }
type Modules = {
  alerts: { liveSecurityAlerts: { value: SecurityAlert[] }; noteSecurityAlert(a: SecurityAlert): void }
  state: { session: { value: Session | null | undefined } }
}
let m: Modules
// Not literal, so tsc does not follow them into the PWA (checked by pwa/src/client/tsconfig.json).
const CLIENT = '../pwa/src/client'

const alert = (id: string): SecurityAlert => ({ id, kind: 'failed_logins', subject_type: 'user', subject_id: 'u1', count: 10, window_s: 60, at: new Date().toISOString() })
const signedIn = (userId: string, tenantId: string) =>
  ({ token: 't', user: { id: userId, email: 'a@example.com' }, tenant: { id: tenantId, name: 'Farm', role: 'owner' } }) satisfies Session

beforeAll(async () => {
  // The browser globals state.ts reads when it loads; nothing here touches the DOM.
  Object.assign(globalThis, { navigator: { onLine: true }, location: { pathname: '/', hash: '', origin: 'https://farm.example' }, history: { replaceState() {}, pushState() {} }, addEventListener() {} })
  m = { alerts: await import(`${CLIENT}/security_alerts.ts`), state: await import(`${CLIENT}/state.ts`) }
})

describe('liveSecurityAlerts', () => {
  test('are cleared on sign-out and when another tenant or account signs in, and kept while the same one stays', () => {
    const { session } = m.state
    const { liveSecurityAlerts, noteSecurityAlert } = m.alerts
    session.value = signedIn('u1', 'farm-a')
    noteSecurityAlert(alert('1'))
    session.value = { ...signedIn('u1', 'farm-a'), token: 'refreshed' }
    expect(liveSecurityAlerts.value.map((a) => a.id)).toEqual(['1'])

    session.value = signedIn('u1', 'farm-b')
    expect(liveSecurityAlerts.value).toEqual([])
    noteSecurityAlert(alert('2'))
    session.value = signedIn('u2', 'farm-b')
    expect(liveSecurityAlerts.value).toEqual([])
    noteSecurityAlert(alert('3'))
    session.value = null
    expect(liveSecurityAlerts.value).toEqual([])
  })
})
