/**
 * Requests waiting for the signed-in owner or admin: sensitive changes someone
 * else filed, to approve or reject (four eyes: nobody approves their own).
 */
import { useEffect, useState } from 'preact/hooks'
import type { ChangeRequest } from '../shared/api_types.ts'
import { decide, openChanges, refreshChanges } from './change_requests.ts'
import { online, session } from './state.ts'

const WHAT: Record<ChangeRequest['request_type'], string> = {
  DISABLE_FULL_E2EE: 'Turn full end-to-end encryption off for a miner (its address goes back to the server in plain text)',
  DEVICE_REVOKE: 'Revoke an edge device',
  ROLE_CHANGE: "Change a member's role or sites",
  BATCH_REENCRYPT: 'Rotate the farm key and re-encrypt every secret',
}

export function ChangeRequestsPanel() {
  const [error, setError] = useState<string | null>(null)
  const me = session.value
  const mayApprove = me?.tenant.role === 'owner' || me?.tenant.role === 'admin'

  useEffect(() => {
    if (mayApprove && online.value) refreshChanges().catch(() => undefined)
  }, [mayApprove, online.value])

  const waiting = openChanges.value.filter((c) => c.status === 'PENDING' && c.requested_by !== me?.user.id)
  if (!mayApprove || waiting.length === 0) return null

  const act = (id: string, verdict: 'approve' | 'reject') => decide(id, verdict).then(() => setError(null), (e: Error) => setError(e.message))

  return (
    <section class="panel" aria-label="Requests waiting for your approval">
      <h2>Waiting for your approval</h2>
      {error && <p class="error" role="alert">{error}</p>}
      <ul class="stack">
        {waiting.map((c) => (
          <li key={c.id}>
            <p><strong>{WHAT[c.request_type]}</strong></p>
            <p>“{c.reason}” · filed {new Date(c.created_at).toLocaleString()} · expires {new Date(c.expires_at).toLocaleString()}</p>
            <div class="row">
              <button type="button" class="primary" onClick={() => void act(c.id, 'approve')}>Approve</button>
              <button type="button" onClick={() => void act(c.id, 'reject')}>Reject</button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  )
}
