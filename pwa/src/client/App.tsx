/** The app: which screen shows follows from the session, the keyring and the route. */
import type { ComponentType } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { AcceptInvitation } from './AcceptInvitation.tsx'
import { AuthScreen } from './AuthScreen.tsx'
import { cryptoBridge } from './crypto_bridge.ts'
import { KeyringSetup } from './KeyringSetup.tsx'
import { LazyAudit, LazyDevices, LazyMembers, LazyPoolKeys } from './LazyScreens.tsx'
import { MinerEditor } from './MinerEditor.tsx'
import { MinersScreen } from './MinersScreen.tsx'
import { refreshOutbox } from './outbox.ts'
import { finishPasswordChanges } from './password_changes.ts'
import { keyring, resume } from './session.ts'
import { SitesScreen } from './SitesScreen.tsx'
import { lockStatus, route, session } from './state.ts'
import { startSync } from './sync_engine.ts'
import { TopBar } from './TopBar.tsx'
import { UnlockScreen } from './UnlockScreen.tsx'
import { UpdateBanner } from './UpdateBanner.tsx'

export function App() {
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    resume().catch((e: Error) => setError(e.message))
    void refreshOutbox()
    const offLocked = cryptoBridge().onLocked((status) => (lockStatus.value = status))
    // Activity keeps the keyring open; at most one message to the worker every 10 s.
    let last = 0
    const activity = () => {
      const now = Date.now()
      if (lockStatus.value.unlocked && now - last > 10_000) {
        last = now
        void cryptoBridge().call('touch', {})
      }
    }
    addEventListener('pointerdown', activity)
    addEventListener('keydown', activity)
    return () => {
      offLocked()
      removeEventListener('pointerdown', activity)
      removeEventListener('keydown', activity)
    }
  }, [])

  // Sync needs the session only: blocks travel encrypted, so it runs while locked too.
  const token = session.value?.token
  const tenantId = session.value?.tenant.id
  useEffect(() => (token && tenantId ? startSync(token, tenantId) : undefined), [token, tenantId])
  // A password change sent before the tab closed is recorded once the key is back.
  const unlocked = lockStatus.value.unlocked
  useEffect(() => {
    if (token && unlocked) void finishPasswordChanges().catch(() => {})
  }, [token, unlocked])

  return (
    <div class="app">
      <UpdateBanner />
      {error && <p class="banner error" role="alert">{error}</p>}
      <Screen />
    </div>
  )
}

function Screen() {
  const current = session.value
  if (current === undefined) return <p class="boot">Loading HashInsight…</p>
  const r = route.value
  // An invitation link is for whoever opens it, signed in or not.
  if (r.name === 'accept') return <AcceptInvitation token={r.token} />
  if (current === null) return <AuthScreen />
  // Telemetry is not secret: the dashboard shows without the keyring.
  if (r.name === 'dashboard') return <><TopBar /><main class="main"><LazyDashboard /></main></>
  const ring = keyring.value
  if (ring === undefined) return <p class="boot">Loading your keyring…</p>
  if (ring.keyring === null) return <KeyringSetup role={current.tenant.role} />
  if (!lockStatus.value.unlocked) return <UnlockScreen />
  return (
    <>
      <TopBar />
      <main class="main">
        {r.name === 'sites' && <SitesScreen />}
        {r.name === 'site' && <MinersScreen siteId={r.siteId} />}
        {r.name === 'miner' && <MinerEditor siteId={r.siteId} minerId={r.minerId} />}
        {r.name === 'devices' && <LazyDevices siteId={r.siteId} />}
        {r.name === 'audit' && <LazyAudit />}
        {r.name === 'pool-keys' && <LazyPoolKeys />}
        {r.name === 'members' && <LazyMembers />}
      </main>
    </>
  )
}

let dashboardModule: Promise<ComponentType> | undefined
/** The dashboard and uPlot come as their own chunk, fetched the first time it opens. */
function LazyDashboard() {
  const [Dashboard, setDashboard] = useState<ComponentType | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    dashboardModule ??= import(/* webpackChunkName: "dashboard" */ './dashboard/Dashboard.tsx').then((m) => m.Dashboard)
    dashboardModule.then((c) => setDashboard(() => c)).catch((e: Error) => {
      dashboardModule = undefined
      setError(`Cannot load the dashboard: ${e.message}`)
    })
  }, [])
  if (error) return <p class="error" role="alert">{error}</p>
  return Dashboard ? <Dashboard /> : <p class="boot">Loading the dashboard…</p>
}
