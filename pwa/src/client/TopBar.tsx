/** The bar on every unlocked screen: where you are, the network and outbox state, and Lock. */
import { outboxEntries } from './outbox.ts'
import { lock, signOut } from './session.ts'
import { lockStatus, navigate, online, route, session } from './state.ts'

export function TopBar() {
  const entries = outboxEntries.value
  const pending = entries.filter((e) => e.status === 'pending').length
  const problems = entries.length - pending
  const r = route.value
  return (
    <header class="topbar">
      {r.name !== 'sites' && r.name !== 'dashboard'
        ? <button type="button" class="back" aria-label="Back" onClick={() => history.back()}>‹</button>
        : <span class="brand">{session.value?.tenant.name}</span>}
      <span class="chips">
        {!online.value && <span class="chip offline">Offline</span>}
        {pending > 0 && <span class="chip pending" title="Saved on this device, not yet on the server">{pending} to send</span>}
        {problems > 0 && <button type="button" class="chip conflict" onClick={() => navigate({ name: 'sites' })}>{problems} need attention</button>}
      </span>
      {r.name === 'dashboard'
        ? <button type="button" onClick={() => navigate({ name: 'sites' })}>Sites</button>
        : <button type="button" onClick={() => navigate({ name: 'dashboard' })}>Live</button>}
      {lockStatus.value.unlocked && <button type="button" class="lock" onClick={() => void lock()}>Lock</button>}
      <button type="button" class="link" onClick={() => void signOut()}>Sign out</button>
    </header>
  )
}
