/** The bar on every signed-in screen: where you are, the sync state, and Lock. */
import { liveSecurityAlerts } from './security_alerts.ts'
import { lock, signOut } from './session.ts'
import { lockStatus, navigate, route, session } from './state.ts'
import { SyncStatus } from './SyncStatus.tsx'

export function TopBar() {
  const r = route.value
  const admin = ['owner', 'admin'].includes(session.value?.tenant.role ?? '')
  return (
    <header class="topbar">
      {r.name !== 'sites' && r.name !== 'dashboard'
        ? <button type="button" class="back" aria-label="Back" onClick={() => history.back()}>‹</button>
        : <span class="brand">{session.value?.tenant.name}</span>}
      <span class="chips">
        <SyncStatus />
        {admin && liveSecurityAlerts.value.length > 0 && (
          <button type="button" class="chip conflict" data-security-alerts={liveSecurityAlerts.value.length} onClick={() => navigate({ name: 'audit' })}>
            {liveSecurityAlerts.value.length === 1 ? 'Security alert' : `${liveSecurityAlerts.value.length} security alerts`}
          </button>
        )}
      </span>
      {r.name === 'site' && admin && <button type="button" onClick={() => navigate({ name: 'devices', siteId: r.siteId })}>Devices</button>}
      {r.name === 'dashboard'
        ? <button type="button" onClick={() => navigate({ name: 'sites' })}>Sites</button>
        : <button type="button" onClick={() => navigate({ name: 'dashboard' })}>Live</button>}
      {lockStatus.value.unlocked && <button type="button" class="lock" onClick={() => void lock()}>Lock</button>}
      <button type="button" class="link" onClick={() => void signOut()}>Sign out</button>
    </header>
  )
}
