/** The sync state in the top bar: synced, syncing, N to send, offline, and conflicts to resolve. */
import { navigate } from './state.ts'
import { syncError, syncStatus } from './sync_state.ts'

const TITLES = {
  offline: 'Edits are kept on this device and sent when the server is reachable',
  syncing: 'Sending and receiving changes',
  pending: 'Saved on this device, not yet on the server',
  synced: 'This device holds the server\'s latest',
}

export function SyncStatus() {
  const { flow, pending, conflicts, rejected } = syncStatus.value
  const waiting = pending > 0 ? `${pending} to send` : ''
  const label = flow === 'offline' ? ['Offline', waiting].filter(Boolean).join(' · ') : flow === 'syncing' ? 'Syncing…' : waiting || 'Synced'
  const problems = [conflicts > 0 && `${conflicts} conflict${conflicts > 1 ? 's' : ''}`, rejected > 0 && `${rejected} refused`].filter(Boolean).join(' · ')
  return (
    <>
      <span class={`chip sync ${flow}`} role="status" data-sync-state={flow} title={syncError.value ?? TITLES[flow]}>{label}</span>
      {problems && <button type="button" class="chip conflict" data-sync-state="conflict" onClick={() => navigate({ name: 'sites' })}>{problems}</button>}
    </>
  )
}
