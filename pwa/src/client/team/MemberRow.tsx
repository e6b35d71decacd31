/**
 * One member: role and sites, and changing them. A change is a four-eyes ROLE_CHANGE
 * request: this device files it with a reason, another owner or admin approves it,
 * then "Apply now" executes it.
 */
import { useState } from 'preact/hooks'
import type { Member, Site } from '../../shared/api_types.ts'
import { execute, openRequestFor, requestRoleChange } from '../change_requests.ts'
import { session } from '../state.ts'
import { AccessFields, readAccess } from './AccessFields.tsx'
import { describeSites } from './members.ts'

export function MemberRow({ member, sites, onChanged }: { member: Member; sites: Site[]; onChanged: () => void }) {
  const [editing, setEditing] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const isMe = member.user_id === session.value?.user.id
  const request = openRequestFor('ROLE_CHANGE', member.user_id)
  const asked = request?.requested_action

  async function run(action: () => Promise<unknown>) {
    setBusy(true)
    try {
      await action()
      setError(null)
      setEditing(false)
      onChanged()
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }

  function submit(event: SubmitEvent) {
    event.preventDefault()
    const form = new FormData(event.currentTarget as HTMLFormElement)
    const access = readAccess(form)
    if (access.allowed_site_ids?.length === 0) return setError('Pick at least one site, or choose every site.')
    void run(() => requestRoleChange(member.user_id, String(form.get('reason')).trim(), access))
  }

  return (
    <li class="panel stack" data-member={member.user_id} data-role={member.role} data-change={request?.status}>
      <p><strong>{member.email}</strong>{isMe && ' (you)'}</p>
      <p class="hint">{member.role} · {describeSites(member.allowed_site_ids, sites)} · joined {new Date(member.joined_at).toLocaleDateString()}</p>
      {request && (
        <div class="stack">
          <p>
            Requested: {asked?.role ?? member.role} on {describeSites(asked?.allowed_site_ids === undefined ? member.allowed_site_ids : asked.allowed_site_ids, sites)} (“{request.reason}”).{' '}
            {request.status === 'PENDING' ? 'Waiting for another owner or admin to approve it.' : 'Approved: it takes effect when applied.'}
          </p>
          {request.status === 'APPROVED' && <button type="button" class="primary" disabled={busy} onClick={() => void run(() => execute(request.id))}>Apply now</button>}
        </div>
      )}
      {!request && !isMe && !editing && <button type="button" onClick={() => setEditing(true)}>Change role or sites…</button>}
      {editing && (
        <form class="stack" aria-label={`Change ${member.email}`} onSubmit={submit}>
          <AccessFields sites={sites} role={member.role} siteIds={member.allowed_site_ids} />
          <label>Why this change?<textarea name="reason" required maxLength={500} rows={2} /></label>
          <p class="hint">A second owner or admin must approve it before it can be applied.</p>
          <div class="row">
            <button type="submit" class="primary" disabled={busy}>Request the change</button>
            <button type="button" onClick={() => setEditing(false)}>Cancel</button>
          </div>
        </form>
      )}
      {error && <p class="error" role="alert">{error}</p>}
    </li>
  )
}
