/**
 * One miner's secrets. Plan A encrypts the login and pool password, the address
 * stays in plain text; full end-to-end encryption also hides the address and the
 * pool account. Everything is encrypted in the worker before it is queued.
 */
import { useEffect, useState } from 'preact/hooks'
import type { FullConnection } from '../shared/api_types.ts'
import { execute, openDisableRequest, refreshChanges, requestDisableFullE2ee } from './change_requests.ts'
import { ConflictResolver } from './ConflictResolver.tsx'
import { openConflict, outboxEntries } from './outbox.ts'
import { loadSecrets, saveCredentials, saveFullConnection, type MinerSecrets } from './secrets.ts'
import { pullNow } from './sync_engine.ts'
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
  const [reason, setReason] = useState('')
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
    // Offline, the last list read stands; a request needs the network anyway.
    refreshChanges().catch(() => undefined)
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
      if (!full && secrets.fullMode) {
        // Four eyes: turning encryption off is requested here and approved by someone else.
        await requestDisableFullE2ee(minerId, reason.trim())
        setMessage({ kind: 'ok', text: 'Request filed. A second owner or admin must approve it before full encryption can be turned off.' })
        return
      }
      if (full) await saveFullConnection(secrets, connection)
      else await saveCredentials(secrets, { username: fields.username, password: fields.password, pool_password: fields.pool_password })
      show(await loadSecrets(minerId, false))
      setMessage({ kind: 'ok', text: online.value ? 'Encrypted and saved.' : 'Encrypted and kept on this device; it will be sent when you are back online.' })
    } catch (e) {
      setMessage({ kind: 'error', text: (e as Error).message })
    } finally {
      setBusy(false)
    }
  }

  /**
   * An approved request to turn full encryption off: the address goes back to the
   * server in plain text (decrypted here), then the login is saved as a Plan A block.
   */
  async function finishDisabling(id: string) {
    if (!secrets) return
    setBusy(true)
    setMessage(null)
    try {
      const port = Number(fields.port) || 4028
      await execute(id, { ip_address: fields.ip_address, port })
      // The miner moved on (a new revision, Plan A): pull it so the login is saved on top of it.
      await pullNow()
      const planA = await loadSecrets(minerId, false)
      if (planA) await saveCredentials(planA, { username: fields.username, password: fields.password, pool_password: fields.pool_password })
      show(await loadSecrets(minerId, false))
      setMessage({ kind: 'ok', text: 'Full encryption is off: the address is back in plain text and the login is encrypted as Plan A.' })
    } catch (e) {
      setMessage({ kind: 'error', text: (e as Error).message })
    } finally {
      setBusy(false)
    }
  }

  const conflict = openConflict(minerId)
  const request = secrets.fullMode ? openDisableRequest(minerId) : undefined
  const locked = (!full && secrets.fullMode && (!mayDisable || Boolean(request) || !online.value)) || Boolean(conflict)
  return (
    <section class="stack">
      <h1>{secrets.miner.name}</h1>
      {conflict && <ConflictResolver key={conflict.id} entry={conflict} onResolved={() => void loadSecrets(minerId, false).then(show)} />}
      {secrets.problems.map((p) => <p class="error" role="alert">{p}</p>)}
      {request?.status === 'PENDING' && (
        <div class="banner pending" role="status">
          <p>Turning full encryption off is waiting for a second owner or admin to approve it (requested {new Date(request.created_at).toLocaleString()}).</p>
          <button type="button" onClick={() => void refreshChanges().catch((e: Error) => setMessage({ kind: 'error', text: e.message }))}>Check again</button>
        </div>
      )}
      {request?.status === 'APPROVED' && (
        <div class="banner" role="status">
          <p>Approved: turning full encryption off will send this miner's address to the server in plain text.</p>
          {mayDisable && <button type="button" class="primary" disabled={busy} onClick={() => void finishDisabling(request.id)}>Turn full encryption off now</button>}
        </div>
      )}
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
          {secrets.fullMode && mayDisable && !full && !request && (
            <label>Why turn it off? (a second owner or admin approves)<input name="reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} required minLength={3} maxLength={500} /></label>
          )}
          {secrets.fullMode && mayDisable && !full && !request && !online.value && <p class="hint">Filing the request needs the network.</p>}
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
        <button type="submit" class="primary" disabled={busy || locked}>{busy ? 'Encrypting…' : !full && secrets.fullMode ? 'Request to turn encryption off' : 'Encrypt and save'}</button>
      </form>
    </section>
  )
}
