/**
 * The audit log (owner/admin): security alerts (live and recent), then who did what
 * to which target, and when, with the result of checking the hash chain that links
 * every event to the one before.
 */
import { useEffect, useState } from 'preact/hooks'
import type { AuditEvent, AuditVerify } from '../../shared/api_types.ts'
import { session } from '../state.ts'
import { describeVerify, listAudit, verifyAudit } from './audit.ts'
import { SecurityAlertsPanel } from './SecurityAlertsPanel.tsx'

const short = (id: string | null) => (id ? id.slice(0, 8) : '—')

function actorOf(e: AuditEvent, me: string | undefined): string {
  if (e.actor_type === 'user') return e.actor_id === me ? 'you' : `member ${short(e.actor_id)}`
  if (e.actor_type === 'device') return `device ${short(e.actor_id)}`
  return e.actor_type
}

export function AuditScreen() {
  const [events, setEvents] = useState<AuditEvent[] | null>(null)
  const [check, setCheck] = useState<AuditVerify | null>(null)
  const [error, setError] = useState<string | null>(null)
  const role = session.value?.tenant.role ?? ''
  const allowed = role === 'owner' || role === 'admin'
  const me = session.value?.user.id

  async function load() {
    try {
      // Verify first: it seals pending events, so the list below is what was checked.
      setCheck(await verifyAudit())
      setEvents(await listAudit())
      setError(null)
    } catch (e) {
      setError((e as Error).message)
    }
  }

  useEffect(() => {
    if (allowed) void load()
  }, [allowed])

  if (!allowed) return <p class="hint">Only owners and admins read the audit log.</p>

  return (
    <section class="stack">
      <div class="row">
        <h1 class="grow">Audit log</h1>
        <button type="button" onClick={() => void load()}>Check again</button>
      </div>
      <SecurityAlertsPanel />
      <h2>Events</h2>
      <p class="hint">Every change is recorded here, each event sealed with a hash of the one before, so an edited or deleted event breaks the chain.</p>
      {check && <p class={check.ok ? 'ok' : 'error'} role="status" data-chain={check.ok ? 'intact' : 'broken'}>{describeVerify(check)}</p>}
      {error && <p class="error" role="alert">{error}</p>}
      {events === null ? <p>Loading…</p> : events.length === 0 ? <p class="hint">No events yet.</p> : (
        <table class="compare" aria-label="Audit events">
          <thead><tr><th>#</th><th>When</th><th>Who</th><th>Action</th><th>Target</th></tr></thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.id} data-event={e.id} class={check && !check.ok && check.first_broken_id === e.id ? 'error' : undefined}>
                <td>{e.seq}</td>
                <td>{new Date(e.at).toLocaleString()}</td>
                <td>{actorOf(e, me)}</td>
                <td>{e.action}</td>
                <td>{e.target_type ? `${e.target_type} ${short(e.target_id)}` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
