/**
 * The page an invitation link opens: the invitee chooses an account password (or
 * gives the one they already have), joins the farm and is signed in. The token came
 * in the link's fragment and goes to the API in a request body only.
 */
import { useState } from 'preact/hooks'
import { acceptInvitation, lock } from './session.ts'
import { navigate, session } from './state.ts'

const MIN_PASSWORD = 10

export function AcceptInvitation({ token }: { token: string | null }) {
  const [account, setAccount] = useState<'new' | 'existing'>('new')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  if (!token) {
    return (
      <main class="narrow">
        <h1>Invitation link incomplete</h1>
        <p>This address has no invitation in it. Open the whole link you were sent, or ask the person who invited you for a new one.</p>
        <button type="button" onClick={() => navigate({ name: 'sites' })}>Go to sign-in</button>
      </main>
    )
  }
  const invitation = token

  async function submit(event: SubmitEvent) {
    event.preventDefault()
    const form = new FormData(event.currentTarget as HTMLFormElement)
    const password = String(form.get('password'))
    if (account === 'new') {
      if (password.length < MIN_PASSWORD) return setError(`Use at least ${MIN_PASSWORD} characters for your account password.`)
      if (String(form.get('confirm')) !== password) return setError('The two passwords differ. Type the same one twice.')
    }
    setBusy(true)
    setError(null)
    try {
      // Whoever was signed in on this device before must not stay unlocked under the new account.
      if (session.value) await lock()
      await acceptInvitation(invitation, password)
      // From here the usual first run: unlock the farm's keyring, or create it if the farm has none.
      navigate({ name: 'sites' })
    } catch (e) {
      setError((e as Error).message)
      setBusy(false)
    }
  }

  return (
    <main class="narrow">
      <h1>Join the farm</h1>
      <p class="lead">You were invited to a HashInsight farm. The link works once; accepting it signs you in.</p>
      <div class="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={account === 'new'} onClick={() => setAccount('new')}>I am new here</button>
        <button type="button" role="tab" aria-selected={account === 'existing'} onClick={() => setAccount('existing')}>I already have an account</button>
      </div>
      <form onSubmit={submit} class="stack" aria-label="Accept the invitation">
        {account === 'new' ? (
          <>
            <label>New account password<input name="password" type="password" minLength={MIN_PASSWORD} autocomplete="new-password" required /></label>
            <label>Type the password again<input name="confirm" type="password" autocomplete="new-password" required /></label>
            <p class="hint">At least {MIN_PASSWORD} characters. It only signs you in to this account.</p>
          </>
        ) : (
          <label>Your account password<input name="password" type="password" autocomplete="current-password" required /></label>
        )}
        <p class="hint">
          Next you unlock the farm's encryption with its passphrase. That is not your account password: the
          owner gives it to you themselves, in person or over another channel, never through this app.
        </p>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Joining…' : 'Accept and sign in'}</button>
      </form>
    </main>
  )
}
