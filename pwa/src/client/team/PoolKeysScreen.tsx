/**
 * Pool API keys: label, pool, scopes and a fingerprint computed on this device
 * (never characters of the key). Owners and admins add keys and rotate them; the
 * key and secret are encrypted before they leave this device, and old versions stay.
 * Each key shows the last statistics an edge device read from its pool with it.
 */
import { useEffect, useState } from 'preact/hooks'
import type { PoolKey } from '../../shared/api_types.ts'
import { session } from '../state.ts'
import { PoolKeyStats } from './PoolKeyStats.tsx'
import { addPoolKey, listPoolKeys, parseScopes, rotatePoolKey } from './pool_keys.ts'

// The edge reads pools every few minutes; a minute between reloads keeps the figures current.
const RELOAD_MS = 60_000

const field = (form: FormData, name: string) => String(form.get(name) ?? '').trim()

export function PoolKeysScreen() {
  const [keys, setKeys] = useState<PoolKey[] | null>(null)
  const [adding, setAdding] = useState(false)
  const [rotating, setRotating] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const role = session.value?.tenant.role ?? ''
  const mayWrite = role === 'owner' || role === 'admin'

  const reload = () => listPoolKeys().then(setKeys, (e: Error) => setError(e.message))
  useEffect(() => {
    void reload()
    const timer = setInterval(() => document.visibilityState === 'visible' && void listPoolKeys().then(setKeys, () => {}), RELOAD_MS)
    return () => clearInterval(timer)
  }, [])

  async function submit(event: SubmitEvent, action: (form: FormData) => Promise<unknown>) {
    event.preventDefault()
    const element = event.currentTarget as HTMLFormElement
    try {
      await action(new FormData(element))
      element.reset()
      setAdding(false)
      setRotating(null)
      setError(null)
      await reload()
    } catch (e) {
      setError((e as Error).message)
    }
  }

  const secretOf = (form: FormData) => {
    const account = field(form, 'account')
    return { api_key: field(form, 'api_key'), api_secret: field(form, 'api_secret'), ...(account ? { account } : {}) }
  }

  return (
    <section class="stack">
      <div class="row">
        <h1 class="grow">Pool API keys</h1>
        {mayWrite && <button type="button" onClick={() => setAdding(!adding)}>{adding ? 'Cancel' : 'Add a key'}</button>}
      </div>
      <p class="hint">The key and its secret are encrypted on this device; the server and your edge devices keep them encrypted. The fingerprint tells versions apart without showing the key.</p>
      {error && <p class="error" role="alert">{error}</p>}
      {adding && (
        <form class="stack panel" aria-label="New pool key" onSubmit={(e) => void submit(e, (f) => addPoolKey({ label: field(f, 'label'), pool: field(f, 'pool'), scopes: parseScopes(field(f, 'scopes')) }, secretOf(f)))}>
          <label>Label<input name="label" required maxLength={120} placeholder="e.g. Payout watcher" /></label>
          <label>Pool<input name="pool" required maxLength={120} placeholder="e.g. Braiins Pool" list="pools-with-statistics" /></label>
          <datalist id="pools-with-statistics"><option value="Braiins Pool" /><option value="Antpool" /></datalist>
          <p class="hint">Edge devices read statistics from Braiins Pool (its access-profile token as the API key; it has no secret, so any text will do) and Antpool (key, secret and the account name).</p>
          <label>Scopes (comma-separated)<input name="scopes" placeholder="read, payouts:read" /></label>
          <SecretFields />
          <button type="submit" class="primary">Encrypt and save</button>
        </form>
      )}
      {keys === null ? <p>Loading…</p> : keys.length === 0 ? <p class="hint">No pool keys yet.</p> : (
        <ul class="cards" aria-label="Pool keys">
          {keys.map((k) => (
            <li key={k.id} class="panel" data-pool-key={k.id}>
              <p><strong>{k.label}</strong> · {k.pool}</p>
              <p class="hint">{k.scopes.length ? k.scopes.join(', ') : 'no scopes'} · version {k.version}{k.version > 1 ? ` (${k.version - 1} earlier kept)` : ''}</p>
              <p>Fingerprint <code class="fingerprint">{k.fingerprint}</code></p>
              <PoolKeyStats last={k.last_stats} />
              {mayWrite && rotating !== k.id && <button type="button" onClick={() => setRotating(k.id)}>Rotate…</button>}
              {rotating === k.id && (
                <form class="stack" aria-label={`Rotate ${k.label}`} onSubmit={(e) => void submit(e, (f) => rotatePoolKey(k, secretOf(f)))}>
                  <p class="hint">Enter the new key from the pool's site; it is sealed for {k.pool}, and edge devices send it to that pool only. The current version is kept, encrypted.</p>
                  <SecretFields />
                  <div class="row">
                    <button type="submit" class="primary">Encrypt and rotate</button>
                    <button type="button" onClick={() => setRotating(null)}>Cancel</button>
                  </div>
                </form>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

function SecretFields() {
  return (
    <>
      <label>API key<input name="api_key" required autoComplete="off" spellcheck={false} /></label>
      <label>API secret<input name="api_secret" type="password" required autoComplete="off" /></label>
      <label>Account (Antpool: the user id the key signs for; optional)<input name="account" autoComplete="off" spellcheck={false} /></label>
    </>
  )
}
