/**
 * The app's state as signals: who is signed in, whether the keyring is unlocked,
 * which screen is open, the network, and a waiting update.
 */
import { signal } from '@preact/signals'
import type { LockStatus } from '../shared/crypto_protocol.ts'
import type { Session } from '../shared/db.ts'
import type { ServiceWorkerBridge } from './sw_bridge.ts'

export type Route =
  | { name: 'sites' }
  | { name: 'dashboard' }
  | { name: 'site'; siteId: string }
  | { name: 'miner'; siteId: string; minerId: string }
  | { name: 'devices'; siteId: string }
  | { name: 'audit' }
  | { name: 'pool-keys' }
  | { name: 'members' }
  /** The invitation link; the token lives in the fragment, which no server receives or logs. */
  | { name: 'accept'; token: string | null }

export const session = signal<Session | null | undefined>(undefined)
export const lockStatus = signal<LockStatus>({ unlocked: false, tenantId: null, kid: null, hasPassphrase: false })
export const online = signal(navigator.onLine)
export const updateReady = signal<ServiceWorkerBridge | null>(null)

/**
 * The route from a path: `/`, `/dashboard`, `/sites/<id>`, `/sites/<id>/miners/<id>`, `/sites/<id>/devices`,
 * `/audit`, `/pool-keys`, `/members`, `/accept#token=hii_…` (`hash` is the fragment, with its `#`).
 */
export function routeOf(path: string, hash = ''): Route {
  const parts = path.split('/').filter(Boolean)
  if (parts[0] === 'accept') return { name: 'accept', token: new URLSearchParams(hash.slice(1)).get('token') }
  if (parts[0] === 'members') return { name: 'members' }
  if (parts[0] === 'dashboard') return { name: 'dashboard' }
  if (parts[0] === 'sites' && parts[1] && parts[2] === 'miners' && parts[3]) return { name: 'miner', siteId: parts[1], minerId: parts[3] }
  if (parts[0] === 'sites' && parts[1] && parts[2] === 'devices') return { name: 'devices', siteId: parts[1] }
  if (parts[0] === 'audit') return { name: 'audit' }
  if (parts[0] === 'pool-keys') return { name: 'pool-keys' }
  if (parts[0] === 'sites' && parts[1]) return { name: 'site', siteId: parts[1] }
  return { name: 'sites' }
}

function pathOf(route: Route): string {
  if (route.name === 'miner') return `/sites/${route.siteId}/miners/${route.minerId}`
  if (route.name === 'site') return `/sites/${route.siteId}`
  if (route.name === 'devices') return `/sites/${route.siteId}/devices`
  if (route.name === 'audit' || route.name === 'pool-keys' || route.name === 'members') return `/${route.name}`
  // The token is never written back: history and the address bar keep only `/accept`.
  if (route.name === 'accept') return '/accept'
  if (route.name === 'dashboard') return '/dashboard'
  return '/'
}

export const route = signal<Route>(routeOf(location.pathname, location.hash))
// Read once, then out of the address bar, so it is not left in history or on screen.
if (route.value.name === 'accept' && location.hash) history.replaceState(null, '', '/accept')

/** Opens a screen and records it in history, so the back button works. */
export function navigate(next: Route): void {
  history.pushState(null, '', pathOf(next))
  route.value = next
}

addEventListener('popstate', () => (route.value = routeOf(location.pathname, location.hash)))
addEventListener('online', () => (online.value = true))
addEventListener('offline', () => (online.value = false))
