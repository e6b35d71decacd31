/**
 * One pending invitation: who, what access, whether its email went, and Revoke, which
 * makes its link open nothing (the server refuses it from then on).
 */
import { useState } from 'preact/hooks'
import type { Invitation, Site } from '../../shared/api_types.ts'
import { describeDelivery, describeSites, revokeInvitation } from './members.ts'

export function InvitationRow({ invitation: i, sites, onRevoked }: { invitation: Invitation; sites: Site[]; onRevoked: () => void }) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  async function revoke() {
    setBusy(true)
    try {
      await revokeInvitation(i.id)
      setError(null)
      onRevoked()
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }

  return (
    <li class="panel" data-invitation={i.id}>
      <p><strong>{i.email}</strong></p>
      <p class="hint">{i.role} · {describeSites(i.allowed_site_ids, sites)} · expires {new Date(i.expires_at).toLocaleString()}</p>
      <p class={i.email_delivery.status === 'failed' ? 'error' : 'hint'} data-email-status={i.email_delivery.status}>{describeDelivery(i)}</p>
      {error && <p class="error" role="alert">{error}</p>}
      <button type="button" disabled={busy} aria-label={`Revoke the invitation of ${i.email}`} onClick={() => void revoke()}>Revoke</button>
    </li>
  )
}
