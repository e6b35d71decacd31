/**
 * Inviting a member: email, role, sites, then the one-time link. With a mail server
 * the server emails it and this device never sees it; without one the link is shown
 * once and kept nowhere on this device. The server holds only its hash.
 */
import { useState } from 'preact/hooks'
import type { Site } from '../../shared/api_types.ts'
import { AccessFields, readAccess } from './AccessFields.tsx'
import { invite, inviteLink } from './members.ts'

export function InviteForm({ sites, onInvited }: { sites: Site[]; onInvited: () => void }) {
  const [link, setLink] = useState<{ email: string; url: string } | null>(null)
  const [emailed, setEmailed] = useState<string | null>(null)
  const [copied, setCopied] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(event: SubmitEvent) {
    event.preventDefault()
    const element = event.currentTarget as HTMLFormElement
    const form = new FormData(element)
    const email = String(form.get('email')).trim()
    const { role, allowed_site_ids } = readAccess(form)
    if (allowed_site_ids?.length === 0) return setError('Pick at least one site, or choose every site.')
    setBusy(true)
    try {
      const created = await invite(email, role, allowed_site_ids)
      if (created.token) setLink({ email, url: inviteLink(created.token) })
      else setEmailed(email)
      setCopied(false)
      setError(null)
      element.reset()
      onInvited()
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }

  async function copy(url: string) {
    try {
      await navigator.clipboard.writeText(url)
      setCopied(true)
    } catch {
      setError('Cannot copy here: select the link and copy it by hand.')
    }
  }

  if (emailed) {
    return (
      <section class="panel stack" aria-label="Invitation emailed">
        <h2>Invitation emailed to {emailed}</h2>
        <p class="hint" data-invite-emailed>
          The server is emailing them a one-time link that expires in 7 days; nobody else sees it, you included.
          Pending invitations above say when the email went out, or why it did not.
        </p>
        <button type="button" class="primary" onClick={() => setEmailed(null)}>Done</button>
      </section>
    )
  }

  if (link) {
    return (
      <section class="panel stack" aria-label="Invitation link">
        <h2>Send this link to {link.email}</h2>
        <p class="hint">Not emailed: this server has no mail server set up, so send it yourself.</p>
        <pre class="command" data-invite-link>{link.url}</pre>
        <p class="hint">
          This is the only time the link is shown: the server keeps only a scrambled copy it cannot turn back
          into the link. It works once and expires in 7 days. Send it over a channel you trust; whoever opens
          it first joins the farm.
        </p>
        {error && <p class="error" role="alert">{error}</p>}
        <div class="row">
          <button type="button" onClick={() => void copy(link.url)}>{copied ? 'Copied' : 'Copy link'}</button>
          <button type="button" class="primary" onClick={() => setLink(null)}>Done</button>
        </div>
      </section>
    )
  }

  return (
    <form class="panel stack" aria-label="Invite a member" onSubmit={(e) => void submit(e)}>
      <h2>Invite a member</h2>
      <label>Their email<input name="email" type="email" required maxLength={254} autocomplete="off" /></label>
      <AccessFields sites={sites} />
      {error && <p class="error" role="alert">{error}</p>}
      <button type="submit" class="primary" disabled={busy}>Create invitation link</button>
    </form>
  )
}
