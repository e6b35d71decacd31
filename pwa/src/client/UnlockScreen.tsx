/** Unlock: the passphrase opens the farm's data key in the crypto worker. */
import { useState } from 'preact/hooks'
import { CryptoError } from './crypto_bridge.ts'
import { LockOptions, readLockOptions } from './LockOptions.tsx'
import { signOut, unlock } from './session.ts'
import { navigate, session } from './state.ts'

export function UnlockScreen() {
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(event: SubmitEvent) {
    event.preventDefault()
    const formElement = event.currentTarget as HTMLFormElement
    const form = new FormData(formElement)
    const passphrase = String(form.get('passphrase'))
    formElement.reset()
    setBusy(true)
    setError(null)
    try {
      await unlock(passphrase, readLockOptions(form))
    } catch (e) {
      const wrong = e instanceof CryptoError && e.code === 'wrong_passphrase'
      setError(wrong ? 'That passphrase does not open your keyring. Check it and try again.' : (e as Error).message)
      setBusy(false)
    }
  }

  return (
    <main class="narrow">
      <h1>Unlock {session.value?.tenant.name}</h1>
      <p class="lead">Enter your encryption passphrase. It stays on this device.</p>
      <form onSubmit={submit} class="stack">
        <label>Encryption passphrase<input name="passphrase" type="password" autocomplete="current-password" required autofocus /></label>
        <LockOptions />
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Unlocking…' : 'Unlock'}</button>
      </form>
      <button type="button" class="link" onClick={() => navigate({ name: 'dashboard' })}>Open the live dashboard</button>
      <button type="button" class="link" onClick={() => void signOut()}>Sign out</button>
    </main>
  )
}
