/** Sign in, or create an account and farm. */
import { useState } from 'preact/hooks'
import { register, signIn } from './session.ts'

export function AuthScreen() {
  const [mode, setMode] = useState<'signin' | 'register'>('signin')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(event: SubmitEvent) {
    event.preventDefault()
    const form = new FormData(event.currentTarget as HTMLFormElement)
    const email = String(form.get('email'))
    const password = String(form.get('password'))
    setBusy(true)
    setError(null)
    try {
      if (mode === 'signin') await signIn(email, password)
      else await register(email, password, String(form.get('farm')))
    } catch (e) {
      setError((e as Error).message)
      setBusy(false)
    }
  }

  return (
    <main class="narrow">
      <h1>HashInsight</h1>
      <p class="lead">Your miners' passwords are encrypted on this device. The server stores only scrambled data it cannot read.</p>
      <div class="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={mode === 'signin'} onClick={() => setMode('signin')}>Sign in</button>
        <button type="button" role="tab" aria-selected={mode === 'register'} onClick={() => setMode('register')}>Create account</button>
      </div>
      <form onSubmit={submit} class="stack">
        <label>Email<input name="email" type="email" autocomplete="username" required /></label>
        <label>Account password
          <input name="password" type="password" minLength={mode === 'register' ? 10 : 1} autocomplete={mode === 'register' ? 'new-password' : 'current-password'} required />
        </label>
        {mode === 'register' && <label>Farm name<input name="farm" required maxLength={120} /></label>}
        {mode === 'register' && <p class="hint">The account password only signs you in. You will choose a separate encryption passphrase next.</p>}
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" class="primary" disabled={busy}>{mode === 'signin' ? 'Sign in' : 'Create account'}</button>
      </form>
    </main>
  )
}
