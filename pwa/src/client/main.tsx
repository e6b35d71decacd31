/** Entry point: styles, the app, the service worker. */
import { render } from 'preact'
import { App } from './App.tsx'
import { cryptoBridge } from './crypto_bridge.ts'
import { loadSecrets, saveCredentials } from './secrets.ts'
import { updateReady } from './state.ts'
import { lastPull, syncStatus } from './sync_state.ts'
import styles from './styles.css'
import { registerServiceWorker } from './sw_bridge.ts'

// CSP allows inline styles but no inline scripts: the stylesheet travels inside the bundle.
const style = document.createElement('style')
style.textContent = styles
document.head.append(style)

// Same-origin scripts only (CSP); the bridge exposes operations, never the key. Used by the browser tests
// and benchmarks: the sync state, and the editor's own save path for many edits at once.
;(window as unknown as { hashinsight: unknown }).hashinsight = {
  crypto: cryptoBridge,
  sync: {
    status: () => syncStatus.value,
    lastPull: () => lastPull.value,
    async saveCredentials(minerId: string, credentials: Parameters<typeof saveCredentials>[1]) {
      const secrets = await loadSecrets(minerId, false)
      if (!secrets) throw new Error(`Cannot save: miner ${minerId} is not on this device`)
      await saveCredentials(secrets, credentials)
    },
  },
}

const root = document.getElementById('app')!
// Preact renders next to existing markup; the static "Loading…" placeholder must go.
root.textContent = ''
render(<App />, root)
registerServiceWorker((bridge) => (updateReady.value = bridge))
