/** The farm's sites; admins add new ones. */
import { useEffect, useState } from 'preact/hooks'
import type { Site } from '../shared/api_types.ts'
import { ChangeRequestsPanel } from './ChangeRequestsPanel.tsx'
import { createSite, loadSites } from './farm.ts'
import { OutboxPanel } from './OutboxPanel.tsx'
import { navigate, session } from './state.ts'

export function SitesScreen() {
  const [sites, setSites] = useState<Site[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const canCreate = ['owner', 'admin'].includes(session.value?.tenant.role ?? '')
  // Pool keys span the tenant: operators and above read them (the API also refuses site-limited members).
  const canReadPoolKeys = canCreate || session.value?.tenant.role === 'operator'

  useEffect(() => {
    loadSites(setSites).catch((e: Error) => setError(e.message))
  }, [])

  async function add(event: SubmitEvent) {
    event.preventDefault()
    const formElement = event.currentTarget as HTMLFormElement
    const name = String(new FormData(formElement).get('name')).trim()
    try {
      const site = await createSite(name)
      formElement.reset()
      setSites((list) => [...(list ?? []), site])
      setError(null)
    } catch (e) {
      setError((e as Error).message)
    }
  }

  return (
    <section class="stack">
      <OutboxPanel />
      <ChangeRequestsPanel />
      <h1>Sites</h1>
      {sites === null ? <p>Loading…</p> : sites.length === 0 ? <p class="hint">No sites yet. Add your first one below.</p> : (
        <ul class="cards">
          {sites.map((s) => (
            <li key={s.id}>
              <button type="button" class="card" onClick={() => navigate({ name: 'site', siteId: s.id })}>
                <strong>{s.name}</strong>
                {s.location && <small>{s.location}</small>}
              </button>
            </li>
          ))}
        </ul>
      )}
      {canCreate && (
        <form onSubmit={add} class="inline">
          <label class="grow">New site<input name="name" required maxLength={120} placeholder="e.g. Hall B" /></label>
          <button type="submit">Add site</button>
        </form>
      )}
      {error && <p class="error" role="alert">{error}</p>}
      {canReadPoolKeys && (
        <nav class="row" aria-label="Team security">
          {canCreate && <button type="button" onClick={() => navigate({ name: 'members' })}>Members</button>}
          {canCreate && <button type="button" onClick={() => navigate({ name: 'audit' })}>Audit log</button>}
          <button type="button" onClick={() => navigate({ name: 'pool-keys' })}>Pool API keys</button>
        </nav>
      )}
    </section>
  )
}
