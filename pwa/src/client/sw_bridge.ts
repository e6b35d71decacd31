/**
 * The page's side of the service worker: register it, learn when a new version is
 * waiting, and let it take over (then reload) when the user says so.
 */
import { Workbox } from 'workbox-window'

export interface ServiceWorkerBridge {
  /** Asks the waiting version to take over; the page reloads once it controls it. */
  applyUpdate(): void
}

/**
 * Registers /sw.js when the browser supports it.
 * @param onUpdateReady called when a new version is installed and waiting
 */
export function registerServiceWorker(onUpdateReady: (bridge: ServiceWorkerBridge) => void): void {
  if (!('serviceWorker' in navigator)) return
  const wb = new Workbox('/sw.js')
  const bridge: ServiceWorkerBridge = {
    applyUpdate() {
      wb.addEventListener('controlling', () => window.location.reload())
      wb.messageSkipWaiting()
    },
  }
  wb.addEventListener('waiting', () => onUpdateReady(bridge))
  void wb.register().then((registration) => {
    // An open tab checks for a new version now and then, not only on navigation.
    setInterval(() => void registration?.update(), 60 * 60 * 1000)
  }).catch((error: unknown) => console.warn('Cannot register the service worker:', error))
}
