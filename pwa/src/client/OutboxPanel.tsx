/** Edits the server refused (a newer copy exists, or invalid): kept and shown, never dropped silently. */
import { discard, outboxEntries } from './outbox.ts'

export function OutboxPanel() {
  const problems = outboxEntries.value.filter((e) => e.status !== 'pending')
  if (problems.length === 0) return null
  return (
    <section class="panel conflict" aria-label="Edits that need attention">
      <h2>Edits that need attention</h2>
      <ul>
        {problems.map((e) => (
          <li key={e.id}>
            <p>
              <strong>{e.status === 'conflict' ? 'Conflict' : 'Refused'}</strong>: {e.kind === 'credentials' ? 'login' : 'full connection'} of a miner saved{' '}
              {new Date(e.createdAt).toLocaleString()}. {e.error}
            </p>
            <p class="hint">{e.status === 'conflict' ? 'The server has a newer copy. Open the miner, check its values and save again; then discard this edit.' : 'Discard it, then edit the miner again.'}</p>
            <button type="button" onClick={() => void discard(e.id)}>Discard this edit</button>
          </li>
        ))}
      </ul>
    </section>
  )
}
