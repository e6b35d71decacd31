/**
 * Our service worker: precaches the app shell Workbox lists at build time, answers
 * every navigation with the shell (so the app reloads offline and deep links work),
 * and leaves the API alone: its data lives in IndexedDB, never in a SW cache.
 * A new version waits until the page asks it to take over (see client/sw_bridge.ts).
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching'
import { NavigationRoute, registerRoute } from 'workbox-routing'

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> }

precacheAndRoute(self.__WB_MANIFEST)
cleanupOutdatedCaches()

// API paths are not navigations the shell can answer; everything else is a client-side route.
registerRoute(new NavigationRoute(createHandlerBoundToURL('/index.html'), { denylist: [/^\/api\//, /^\/healthz/] }))

self.addEventListener('message', (event) => {
  if ((event.data as { type?: unknown } | null)?.type === 'SKIP_WAITING') void self.skipWaiting()
})

// The first install controls open pages at once; later versions wait for the prompt.
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()))
