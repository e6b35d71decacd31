/**
 * The tenant's members and pending invitations (owner/admin): invite someone, revoke
 * an invitation, or change a member's role or sites through a four-eyes request.
 */
import { useEffect, useState } from 'preact/hooks'
import type { MemberList, Site } from '../../shared/api_types.ts'
import { refreshChanges } from '../change_requests.ts'
import { loadSites } from '../farm.ts'
import { InvitationRow } from './InvitationRow.tsx'
import { InviteForm } from './InviteForm.tsx'
import { MemberRow } from './MemberRow.tsx'
import { listMembers } from './members.ts'

export function MembersScreen() {
  const [list, setList] = useState<MemberList | null>(null)
  const [sites, setSites] = useState<Site[]>([])
  const [error, setError] = useState<string | null>(null)

  const reload = () => Promise.all([listMembers(), refreshChanges()]).then(([members]) => (setList(members), setError(null)), (e: Error) => setError(e.message))
  useEffect(() => {
    void reload()
    loadSites(setSites).catch((e: Error) => setError(e.message))
  }, [])

  return (
    <section class="stack">
      <div class="row">
        <h1 class="grow">Members</h1>
        <button type="button" onClick={() => void reload()}>Refresh</button>
      </div>
      <p class="hint">Roles and sites change only with a second owner's or admin's approval.</p>
      {error && <p class="error" role="alert">{error}</p>}
      {list === null ? <p>Loading…</p> : (
        <>
          <ul class="cards" aria-label="Members">
            {list.members.map((m) => <MemberRow key={m.user_id} member={m} sites={sites} onChanged={() => void reload()} />)}
          </ul>
          <h2>Pending invitations</h2>
          {list.invitations.length === 0 ? <p class="hint">None waiting.</p> : (
            <ul class="cards" aria-label="Pending invitations">
              {list.invitations.map((i) => <InvitationRow key={i.id} invitation={i} sites={sites} onRevoked={() => void reload()} />)}
            </ul>
          )}
        </>
      )}
      <InviteForm sites={sites} onInvited={() => void reload()} />
    </section>
  )
}
