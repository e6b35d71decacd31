/** Entry point: styles, the app, the service worker. */
import { render } from 'preact'
import { App } from './App.tsx'
import { cryptoBridge } from './crypto_bridge.ts'
import { updateReady } from './state.ts'
import styles from './styles.css'
import { registerServiceWorker } from './sw_bridge.ts'

// CSP allows inline styles but no inline scripts: the stylesheet travels inside the bundle.
const style = document.createElement('style')
style.textContent = styles
document.head.append(style)

// Same-origin scripts only (CSP); the bridge exposes operations, never the key. Used by the browser tests.
;(window as unknown as { hashinsight: unknown }).hashinsight = { crypto: cryptoBridge }

const root = document.getElementById('app')!
// Preact renders next to existing markup; the static "Loading…" placeholder must go.
root.textContent = ''
render(<App />, root)
registerServiceWorker((bridge) => (updateReady.value = bridge))
