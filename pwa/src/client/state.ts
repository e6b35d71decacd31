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

export const session = signal<Session | null | undefined>(undefined)
export const lockStatus = signal<LockStatus>({ unlocked: false, tenantId: null, kid: null, hasPassphrase: false })
export const online = signal(navigator.onLine)
export const updateReady = signal<ServiceWorkerBridge | null>(null)

/** The route from a path: `/`, `/dashboard`, `/sites/<id>`, `/sites/<id>/miners/<id>`, `/sites/<id>/devices`, `/audit`, `/pool-keys`. */
export function routeOf(path: string): Route {
  const parts = path.split('/').filter(Boolean)
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
  if (route.name === 'audit' || route.name === 'pool-keys') return `/${route.name}`
  if (route.name === 'dashboard') return '/dashboard'
  return '/'
}

export const route = signal<Route>(routeOf(location.pathname))

/** Opens a screen and records it in history, so the back button works. */
export function navigate(next: Route): void {
  history.pushState(null, '', pathOf(next))
  route.value = next
}

addEventListener('popstate', () => (route.value = routeOf(location.pathname)))
addEventListener('online', () => (online.value = true))
addEventListener('offline', () => (online.value = false))
