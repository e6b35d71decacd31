/** Edits that need the owner: conflicts (both copies kept) and refusals. Shown, never dropped silently. */
import { useState } from 'preact/hooks'
import type { OutboxEntry } from '../shared/db.ts'
import { discardRejected, outboxEntries } from './outbox.ts'
import { navigate } from './state.ts'
import { resolveConflict } from './sync_conflict.ts'
import { requestPush } from './sync_engine.ts'

const what = (e: OutboxEntry) => (e.kind === 'credentials' ? 'login' : 'full connection')

export function OutboxPanel() {
  const [error, setError] = useState<string | null>(null)
  const problems = outboxEntries.value.filter((e) => e.status !== 'pending')
  if (problems.length === 0) return null

  const act = (job: () => Promise<void>) => job().then(() => requestPush(), (e: Error) => setError(e.message))

  return (
    <section class="panel conflict" aria-label="Edits that need attention">
      <h2>Edits that need attention</h2>
      {error && <p class="error" role="alert">{error}</p>}
      <ul>
        {problems.map((e) => (
          <li key={e.id}>
            <p>
              <strong>{e.status === 'conflict' ? 'Conflict' : 'Refused'}</strong>: {what(e)} of {e.server?.miner.name ?? 'a miner'} saved{' '}
              {new Date(e.createdAt).toLocaleString()}. {e.error}
            </p>
            {e.status === 'conflict' ? (
              <>
                <p class="hint">Compare both copies and keep one, or merge them field by field.</p>
                <div class="row">
                  {e.server && <button type="button" class="primary" onClick={() => navigate({ name: 'miner', siteId: e.server!.miner.site_id, minerId: e.minerId })}>Compare and choose</button>}
                  <button type="button" onClick={() => void act(() => resolveConflict(e, { keep: 'server' }))}>Discard this edit (keep the server's copy)</button>
                </div>
              </>
            ) : (
              <>
                <p class="hint">Discard it, then edit the miner again.</p>
                <button type="button" onClick={() => void act(() => discardRejected(e.id))}>Discard this edit</button>
              </>
            )}
          </li>
        ))}
      </ul>
    </section>
  )
}
