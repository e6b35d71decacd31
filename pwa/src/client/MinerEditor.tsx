/**
 * One miner's secrets. Plan A encrypts the login and pool password, the address
 * stays in plain text; full end-to-end encryption also hides the address and the
 * pool account. Everything is encrypted in the worker before it is queued.
 */
import { useEffect, useState } from 'preact/hooks'
import type { FullConnection } from '../shared/api_types.ts'
import { ConflictResolver } from './ConflictResolver.tsx'
import { openConflict, outboxEntries } from './outbox.ts'
import { disableFullConnection, loadSecrets, saveCredentials, saveFullConnection, type MinerSecrets } from './secrets.ts'
import { online, session } from './state.ts'
import { minerChanges } from './sync_state.ts'

type Fields = Omit<FullConnection, 'port'> & { port: string }
const EMPTY: Fields = { ip_address: '', port: '4028', username: '', password: '', pool_url: '', pool_user: '', pool_password: '' }

function fieldsOf(s: MinerSecrets): Fields {
  const c = s.fullMode ? s.connection : null
  const str = (v: unknown) => (v === undefined || v === null ? '' : String(v))
  return {
    ip_address: str(c?.ip_address ?? s.address.ip_address),
    port: str(c?.port ?? s.address.port ?? 4028),
    username: str(c?.username ?? s.credentials?.username),
    password: str(c?.password ?? s.credentials?.password),
    pool_url: str(c?.pool_url ?? s.connection?.pool_url),
    pool_user: str(c?.pool_user ?? s.connection?.pool_user),
    pool_password: str(c?.pool_password ?? s.credentials?.pool_password),
  }
}

export function MinerEditor({ minerId }: { siteId: string; minerId: string }) {
  const [secrets, setSecrets] = useState<MinerSecrets | null | undefined>(undefined)
  const [fields, setFields] = useState<Fields>(EMPTY)
  const [full, setFull] = useState(false)
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null)
  const [busy, setBusy] = useState(false)
  const role = session.value?.tenant.role ?? 'viewer'
  const mayDisable = role === 'owner' || role === 'admin'

  const show = (s: MinerSecrets | null) => {
    setSecrets(s)
    if (s) {
      setFields(fieldsOf(s))
      setFull(s.fullMode)
    }
  }

  useEffect(() => {
    loadSecrets(minerId).then(show, (e: Error) => setMessage({ kind: 'error', text: e.message }))
  }, [minerId])

  // When the outbox delivers (or flags) an edit, show the stored result without refetching.
  const queued = outboxEntries.value.filter((e) => e.minerId === minerId).map((e) => e.id + e.status).join()
  useEffect(() => {
    if (secrets) void loadSecrets(minerId, false).then((s) => s && setSecrets(s))
  }, [queued])

  // Another device's change arrived by sync: show it, unless the owner is typing (then the fields stay theirs).
  const changes = minerChanges.value
  useEffect(() => {
    if (!secrets || !changes.ids.has(minerId)) return
    const untouched = JSON.stringify(fields) === JSON.stringify(fieldsOf(secrets)) && full === secrets.fullMode
    void loadSecrets(minerId, false).then((s) => s && (untouched ? show(s) : setSecrets(s)))
  }, [changes.version])

  if (secrets === undefined) return <p>Decrypting…</p>
  if (secrets === null) return <p class="error">This miner is not on this device. Go back and open its site while online.</p>

  const set = (name: keyof Fields) => (e: Event) => setFields({ ...fields, [name]: (e.currentTarget as HTMLInputElement).value })
  const pending = outboxEntries.value.filter((e) => e.minerId === minerId)

  async function save(event: SubmitEvent) {
    event.preventDefault()
    if (!secrets) return
    const port = Number(fields.port) || 4028
    const connection: FullConnection = { ...fields, port }
    setBusy(true)
    setMessage(null)
    try {
      if (full) await saveFullConnection(secrets, connection)
      else if (secrets.fullMode) await disableFullConnection(secrets, connection)
      else await saveCredentials(secrets, { username: fields.username, password: fields.password, pool_password: fields.pool_password })
      show(await loadSecrets(minerId, false))
      setMessage({ kind: 'ok', text: online.value ? 'Encrypted and saved.' : 'Encrypted and kept on this device; it will be sent when you are back online.' })
    } catch (e) {
      setMessage({ kind: 'error', text: (e as Error).message })
    } finally {
      setBusy(false)
    }
  }

  const conflict = openConflict(minerId)
  const locked = (!full && secrets.fullMode && !mayDisable) || Boolean(conflict)
  return (
    <section class="stack">
      <h1>{secrets.miner.name}</h1>
      {conflict && <ConflictResolver key={conflict.id} entry={conflict} onResolved={() => void loadSecrets(minerId, false).then(show)} />}
      {secrets.problems.map((p) => <p class="error" role="alert">{p}</p>)}
      {pending.map((e) => (
        <p class={`banner ${e.status === 'pending' ? 'pending' : 'error'}`} role="status">
          {e.status === 'pending' ? 'Saved on this device, waiting to be sent.' : `Not accepted by the server: ${e.error}`}
        </p>
      ))}
      <form onSubmit={save} class="stack">
        <label class="switch">
          <input type="checkbox" checked={full} disabled={secrets.fullMode && !mayDisable} onChange={(e) => setFull(e.currentTarget.checked)} />
          <span>Full end-to-end encryption</span>
        </label>
        <div class="panel explain">
          {full ? (
            <p><strong>Full encryption:</strong> the server sees only the miner's name, model and site. Its address, port, login and pool account are encrypted on this device; only your devices and your farm's edge collector can read them.</p>
          ) : (
            <p><strong>Plan A:</strong> the server sees the miner's name, model, site and its <em>address and port</em>. The login, password and pool password are encrypted on this device; the server cannot read them.</p>
          )}
          {secrets.fullMode && !mayDisable && <p class="hint">Only an owner or admin can turn full encryption off.</p>}
        </div>
        <fieldset class="stack">
          <legend>Address</legend>
          {full && <p class="hint">These come from the encrypted configuration: the server has no copy.</p>}
          <div class="row">
            <label class="grow">IP address or host<input name="ip_address" value={fields.ip_address} onInput={set('ip_address')} readOnly={!full && !secrets.fullMode} required /></label>
            <label class="port">Port<input name="port" type="number" min={1} max={65535} value={fields.port} onInput={set('port')} readOnly={!full && !secrets.fullMode} /></label>
          </div>
          {!full && !secrets.fullMode && <p class="hint">Sent in plain text when the miner was added.</p>}
        </fieldset>
        <fieldset class="stack">
          <legend>Miner login</legend>
          <label>Username<input name="username" autocomplete="off" value={fields.username} onInput={set('username')} /></label>
          <label>Password<input name="password" type="password" autocomplete="new-password" value={fields.password} onInput={set('password')} /></label>
        </fieldset>
        <fieldset class="stack">
          <legend>Pool</legend>
          {full && <label>Pool URL<input name="pool_url" value={fields.pool_url} onInput={set('pool_url')} placeholder="stratum+tcp://…" /></label>}
          {full && <label>Pool user<input name="pool_user" autocomplete="off" value={fields.pool_user} onInput={set('pool_user')} /></label>}
          <label>Pool password<input name="pool_password" type="password" autocomplete="new-password" value={fields.pool_password} onInput={set('pool_password')} /></label>
        </fieldset>
        {conflict && <p class="hint">Choose between the two copies above before saving again.</p>}
        {message && <p class={message.kind === 'ok' ? 'ok' : 'error'} role={message.kind === 'ok' ? 'status' : 'alert'}>{message.text}</p>}
        <button type="submit" class="primary" disabled={busy || locked}>{busy ? 'Encrypting…' : 'Encrypt and save'}</button>
      </form>
    </section>
  )
}
