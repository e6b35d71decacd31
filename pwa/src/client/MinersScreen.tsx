/** One site's miners: search, filter by protection status, add a miner. */
import { useEffect, useMemo, useState } from 'preact/hooks'
import type { Miner } from '../shared/api_types.ts'
import { CommandsPanel } from './CommandsPanel.tsx'
import { createMiner, loadMiners } from './farm.ts'
import { outboxEntries } from './outbox.ts'
import { navigate } from './state.ts'
import { listMiners } from './store.ts'
import { minerChanges } from './sync_state.ts'
import { VirtualList } from './VirtualList.tsx'

type Status = 'full' | 'plan-a' | 'no-secrets' | 'unsent' | 'attention'
const STATUS_LABELS: Record<Status, string> = {
  full: 'Fully encrypted',
  'plan-a': 'Login encrypted',
  'no-secrets': 'No login saved',
  unsent: 'Edit not sent yet',
  attention: 'Needs attention',
}

function statusOf(miner: Miner, outbox: Map<string, 'pending' | 'problem'>): Status {
  const queued = outbox.get(miner.id)
  if (queued === 'problem') return 'attention'
  if (queued === 'pending') return 'unsent'
  if (miner.use_full_e2ee) return 'full'
  return miner.has_credentials ? 'plan-a' : 'no-secrets'
}

export function MinersScreen({ siteId }: { siteId: string }) {
  const [miners, setMiners] = useState<Miner[] | null>(null)
  const [query, setQuery] = useState('')
  const [filter, setFilter] = useState<Status | 'all'>('all')
  const [adding, setAdding] = useState(false)
  const [controlling, setControlling] = useState(false)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    loadMiners(siteId, setMiners).catch((e: Error) => setError(e.message))
  }, [siteId])

  // Sync stored changed miners: re-read this site's from IndexedDB.
  const changes = minerChanges.value.version
  useEffect(() => {
    if (changes > 0) void listMiners(siteId).then((list) => setMiners(list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))))
  }, [changes])

  const outbox = useMemo(() => {
    const map = new Map<string, 'pending' | 'problem'>()
    for (const e of outboxEntries.value) map.set(e.minerId, e.status === 'pending' && map.get(e.minerId) !== 'problem' ? 'pending' : 'problem')
    return map
  }, [outboxEntries.value])

  const shown = useMemo(() => {
    const q = query.trim().toLowerCase()
    return (miners ?? []).filter((m) =>
      (filter === 'all' || statusOf(m, outbox) === filter) &&
      (!q || m.name.toLowerCase().includes(q) || (m.ip_address ?? '').includes(q) || (m.model ?? '').toLowerCase().includes(q)))
  }, [miners, query, filter, outbox])

  async function add(event: SubmitEvent) {
    event.preventDefault()
    const form = new FormData(event.currentTarget as HTMLFormElement)
    const port = Number(form.get('port'))
    const model = String(form.get('model') ?? '').trim()
    try {
      const miner = await createMiner(siteId, { name: String(form.get('name')).trim(), ip_address: String(form.get('ip')).trim(), ...(port ? { port } : {}), ...(model ? { model } : {}) })
      setAdding(false)
      navigate({ name: 'miner', siteId, minerId: miner.id })
    } catch (e) {
      setError((e as Error).message)
    }
  }

  return (
    <section class="stack">
      <div class="row">
        <h1 class="grow">Miners {miners && <small>({shown.length} of {miners.length})</small>}</h1>
        <button type="button" onClick={() => setControlling(!controlling)}>{controlling ? 'Close control' : 'Control…'}</button>
        <button type="button" onClick={() => setAdding(!adding)}>{adding ? 'Cancel' : 'Add miner'}</button>
      </div>
      {controlling && miners && <CommandsPanel siteId={siteId} miners={miners} shown={shown} />}
      {adding && (
        <form onSubmit={add} class="stack panel" aria-label="New miner">
          <label>Name<input name="name" required maxLength={120} /></label>
          <label>Address (IP or host name)<input name="ip" required inputMode="url" placeholder="192.168.1.20" /></label>
          <div class="row">
            <label class="grow">Port<input name="port" type="number" min={1} max={65535} placeholder="4028" /></label>
            <label class="grow">Model<input name="model" maxLength={120} /></label>
          </div>
          <p class="hint">The address is sent in plain text when you add a miner. Turn on full encryption in the miner's page to hide it from the server.</p>
          <button type="submit" class="primary">Create miner</button>
        </form>
      )}
      <div class="row">
        <input class="grow" type="search" placeholder="Search name, address, model" aria-label="Search miners" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
        <select aria-label="Filter by status" value={filter} onChange={(e) => setFilter(e.currentTarget.value as Status | 'all')}>
          <option value="all">All</option>
          {(Object.keys(STATUS_LABELS) as Status[]).map((s) => <option value={s}>{STATUS_LABELS[s]}</option>)}
        </select>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {miners === null ? <p>Loading…</p> : miners.length === 0 ? <p class="hint">No miners on this site yet.</p> : (
        <VirtualList items={shown} rowHeight={64} label="Miner list" renderRow={(m) => {
          const status = statusOf(m, outbox)
          return (
            <button type="button" class="minerrow" onClick={() => navigate({ name: 'miner', siteId, minerId: m.id })}>
              <span class="grow"><strong>{m.name}</strong><small>{m.use_full_e2ee ? 'address encrypted' : `${m.ip_address ?? ''}:${m.port ?? ''}`}{m.model ? ` · ${m.model}` : ''}</small></span>
              <span class={`badge ${status}`}>{STATUS_LABELS[status]}</span>
            </button>
          )
        }} />
      )}
    </section>
  )
}
