/** "A new version is ready": the service worker waits until the owner reloads. */
import { updateReady } from './state.ts'

export function UpdateBanner() {
  const bridge = updateReady.value
  if (!bridge) return null
  return (
    <div class="banner update" role="status">
      <span>A new version of HashInsight is ready.</span>
      <button type="button" onClick={() => bridge.applyUpdate()}>Reload</button>
    </div>
  )
}
