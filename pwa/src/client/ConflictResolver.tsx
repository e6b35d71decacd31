/**
 * A miner saved on two devices: both copies side by side, decrypted here in the
 * crypto worker, and the owner's choice (one copy, or field by field). Nothing
 * changes until the owner picks; the choice is sent as a new edit.
 */
import { useEffect, useState } from 'preact/hooks'
import type { OutboxEntry } from '../shared/db.ts'
import { openConflictSides, resolveConflict, type ConflictSides, type CopyFields, type Resolution } from './sync_conflict.ts'
import { requestPush } from './sync_engine.ts'

type Field = 'ip_address' | 'port' | 'username' | 'password' | 'pool_url' | 'pool_user' | 'pool_password'
const LABELS: Record<Field, string> = {
  ip_address: 'Address', port: 'Port', username: 'Username', password: 'Password', pool_url: 'Pool URL', pool_user: 'Pool user', pool_password: 'Pool password',
}
const SECRET: ReadonlySet<Field> = new Set(['password', 'pool_password'])
const FIELDS_OF: Record<'credentials' | 'connection_full', Field[]> = {
  credentials: ['username', 'password', 'pool_password'],
  connection_full: ['ip_address', 'port', 'username', 'password', 'pool_url', 'pool_user', 'pool_password'],
}

const valueOf = (fields: CopyFields, name: Field) => (fields?.[name] === undefined ? '' : String(fields[name]))

export function ConflictResolver({ entry, onResolved }: { entry: OutboxEntry; onResolved: () => void }) {
  const [sides, setSides] = useState<ConflictSides | null>(null)
  const [picks, setPicks] = useState<Partial<Record<Field, 'local' | 'server'>>>({})
  const [reveal, setReveal] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    openConflictSides(entry).then(setSides, (e: Error) => setError(e.message))
  }, [entry.id])

  const fields = FIELDS_OF[entry.kind === 'credentials' ? 'credentials' : 'connection_full']
  const mergeable = Boolean(sides?.local.fields && sides.server.fields)

  async function choose(resolution: Resolution) {
    setBusy(true)
    setError(null)
    try {
      await resolveConflict(entry, resolution)
      requestPush()
      onResolved()
    } catch (e) {
      setError((e as Error).message)
      setBusy(false)
    }
  }

  function merged(s: ConflictSides) {
    const out: Record<string, unknown> = {}
    for (const name of fields) {
      const from = (picks[name] ?? 'local') === 'local' ? s.local.fields : s.server.fields
      if (from?.[name] !== undefined) out[name] = from[name]
    }
    return out
  }

  const cell = (s: ConflictSides, side: 'local' | 'server', name: Field) => {
    const text = valueOf(s[side].fields, name)
    return <td data-side={side} data-field={name}>{SECRET.has(name) && !reveal && text ? '••••••' : text}</td>
  }

  return (
    <section class="panel conflict stack" aria-label="Conflict">
      <h2>Saved on two devices</h2>
      <p>Another device saved this miner's {entry.kind === 'credentials' ? 'login' : 'connection'} while this one had an unsent edit. Both copies are kept until you choose.</p>
      {error && <p class="error" role="alert">{error}</p>}
      {!sides ? <p>Decrypting both copies…</p> : (
        <>
          {[sides.local.note && `This device: ${sides.local.note}`, sides.server.note && `Server: ${sides.server.note}`].filter(Boolean).map((n) => <p class="hint">{n}</p>)}
          <table class="compare">
            <thead><tr><th>Field</th><th>This device</th><th>Server</th>{mergeable && <th>Keep</th>}</tr></thead>
            <tbody>
              {fields.map((name) => (
                <tr key={name}>
                  <th scope="row">{LABELS[name]}</th>
                  {cell(sides, 'local', name)}
                  {cell(sides, 'server', name)}
                  {mergeable && (
                    <td>
                      <select aria-label={`Keep ${LABELS[name]} from`} value={picks[name] ?? 'local'} onChange={(e) => setPicks({ ...picks, [name]: e.currentTarget.value as 'local' | 'server' })}>
                        <option value="local">This device</option>
                        <option value="server">Server</option>
                      </select>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          <label class="switch"><input type="checkbox" checked={reveal} onChange={(e) => setReveal(e.currentTarget.checked)} /><span>Show passwords</span></label>
          <div class="row">
            <button type="button" disabled={busy} onClick={() => void choose({ keep: 'local', sides })}>Keep this device's copy</button>
            <button type="button" disabled={busy} onClick={() => void choose({ keep: 'server' })}>Keep the server's copy</button>
            {mergeable && <button type="button" class="primary" disabled={busy} onClick={() => void choose({ merged: merged(sides), sides })}>Save merged copy</button>}
          </div>
        </>
      )}
    </section>
  )
}
