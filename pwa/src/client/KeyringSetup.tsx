/** First run: choose the encryption passphrase that protects the farm's data key. */
import { useState } from 'preact/hooks'
import { CryptoError } from './crypto_bridge.ts'
import { LockOptions, readLockOptions } from './LockOptions.tsx'
import { passphraseStrength } from './passphrase_strength.ts'
import { createTenantKeyring, signOut } from './session.ts'

const MIN_LENGTH = 12

export function KeyringSetup({ role }: { role: string }) {
  const [passphrase, setPassphrase] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const strength = passphraseStrength(passphrase)

  if (role !== 'owner' && role !== 'admin') {
    return (
      <main class="narrow">
        <h1>Encryption not set up yet</h1>
        <p>The farm's owner or an admin must choose the encryption passphrase first. Ask them, then sign in again.</p>
        <button type="button" onClick={() => void signOut()}>Sign out</button>
      </main>
    )
  }

  async function submit(event: SubmitEvent) {
    event.preventDefault()
    const formElement = event.currentTarget as HTMLFormElement
    const form = new FormData(formElement)
    const confirmation = String(form.get('confirm'))
    if (passphrase.length < MIN_LENGTH) return setError(`Use at least ${MIN_LENGTH} characters; a few unrelated words work well.`)
    if (confirmation !== passphrase) return setError('The two passphrases differ. Type the same one twice.')
    if (form.get('understood') !== 'on') return setError('Please confirm you understand that a lost passphrase cannot be recovered.')
    setBusy(true)
    setError(null)
    const chosen = passphrase
    // The page lets go of the passphrase: from here only the worker has it.
    setPassphrase('')
    formElement.reset()
    try {
      await createTenantKeyring(chosen, readLockOptions(form))
    } catch (e) {
      setError(e instanceof CryptoError ? e.message : `Cannot create the keyring: ${(e as Error).message}`)
      setBusy(false)
    }
  }

  return (
    <main class="narrow">
      <h1>Choose your encryption passphrase</h1>
      <p class="lead">It encrypts your miners' passwords on this device before anything is sent. The server never receives it.</p>
      <form onSubmit={submit} class="stack">
        <label>Passphrase
          <input name="passphrase" type="password" autocomplete="new-password" value={passphrase} onInput={(e) => setPassphrase(e.currentTarget.value)} required />
        </label>
        <div class={`meter s${strength.score}`} aria-live="polite">
          <span style={{ width: `${(strength.score + 1) * 20}%` }} />
          <small>Strength: {passphrase ? strength.label : '—'}</small>
        </div>
        <label>Type it again<input name="confirm" type="password" autocomplete="new-password" required /></label>
        <p class="warning"><strong>Write it down somewhere safe.</strong> Nobody can recover a lost passphrase — not us, not the server. If you lose it, you will have to enter every miner's password again.</p>
        <label class="check"><input type="checkbox" name="understood" /> I understand a lost passphrase cannot be recovered</label>
        <LockOptions />
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Creating keys…' : 'Create encryption keys'}</button>
      </form>
    </main>
  )
}
