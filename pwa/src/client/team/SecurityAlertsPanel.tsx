/**
 * Security alerts on the audit screen (owner/admin): the ones that arrived live since
 * this tab opened, to acknowledge, above the tenant's recent ones from the server.
 */
import { useEffect, useState } from 'preact/hooks'
import type { SecurityAlert } from '../../shared/api_types.ts'
import { describeSecurityAlert, dismissSecurityAlerts, listSecurityAlerts, liveSecurityAlerts } from '../security_alerts.ts'

export function SecurityAlertsPanel() {
  const [recent, setRecent] = useState<SecurityAlert[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const live = liveSecurityAlerts.value

  // Reread when one arrives live, so the list below holds it too.
  useEffect(() => {
    listSecurityAlerts().then((alerts) => (setRecent(alerts), setError(null)), (e: Error) => setError(e.message))
  }, [live.length])

  return (
    <section class="stack" aria-label="Security alerts">
      {live.length > 0 && (
        <div class="warning stack" role="alert" data-live-security-alerts={live.length}>
          <strong>{live.length === 1 ? 'New security alert' : `${live.length} new security alerts`}</strong>
          <ul>{live.map((a) => <li key={a.id}>{new Date(a.at).toLocaleTimeString()}: {describeSecurityAlert(a)}</li>)}</ul>
          <div class="row"><button type="button" onClick={dismissSecurityAlerts}>Seen</button></div>
        </div>
      )}
      <h2>Security alerts</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {recent === null ? <p>Loading…</p> : recent.length === 0 ? <p class="hint">None: no burst of failed sign-ins, enrolment guesses or block rewrites.</p> : (
        <ul class="cards" aria-label="Recent security alerts">
          {recent.slice(0, 10).map((a) => (
            <li key={a.id} class="panel" data-security-alert={a.kind}>
              <p>{describeSecurityAlert(a)}</p>
              <p class="hint">{new Date(a.at).toLocaleString()}</p>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
