/**
 * One edge device: what it is and holds, the grant (after comparing fingerprints)
 * and the revocation, whose change request's state shows here until it is done.
 */
import { useState } from 'preact/hooks'
import type { EdgeDevice } from '../../shared/api_types.ts'
import { CryptoError } from '../crypto_bridge.ts'
import { execute, openRequestFor, requestDeviceRevoke } from '../change_requests.ts'
import { session } from '../state.ts'
import { grantDevice } from './devices.ts'

const STATUS: Record<EdgeDevice['status'], string> = { pending: 'Waiting for enrolment', active: 'Active', revoked: 'Revoked' }

interface Props {
  device: EdgeDevice
  /** Computed on this device from the device's public key; null before it enrols with a key. */
  fingerprint: string | null
  currentKid: string | null
  onChanged: () => Promise<void>
}

function keyState(device: EdgeDevice, currentKid: string | null): string {
  if (!device.granted_kid) return 'No data key'
  return device.granted_kid === currentKid ? 'Holds the current key' : 'Holds an old key: grant again'
}

export function DeviceRow({ device, fingerprint, currentKid, onChanged }: Props) {
  const [step, setStep] = useState<'idle' | 'compare' | 'revoke'>('idle')
  const [needsPassphrase, setNeedsPassphrase] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const revoke = openRequestFor('DEVICE_REVOKE', device.id)
  const mine = revoke?.requested_by === session.value?.user.id
  // A server label that disagrees with our own computation means the key was tampered with somewhere: no grant.
  const labelsAgree = !device.fingerprint || device.fingerprint === fingerprint
  const canGrant = device.status === 'active' && fingerprint !== null && labelsAgree && device.granted_kid !== currentKid

  async function run(action: () => Promise<unknown>) {
    setBusy(true)
    try {
      await action()
      setError(null)
      setStep('idle')
      setNeedsPassphrase(false)
      await onChanged()
    } catch (e) {
      if (e instanceof CryptoError && e.code === 'needs_passphrase') setNeedsPassphrase(true)
      setError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }

  function grant(event: SubmitEvent) {
    event.preventDefault()
    const passphrase = String(new FormData(event.currentTarget as HTMLFormElement).get('passphrase') ?? '') || undefined
    void run(() => grantDevice(device, fingerprint!, passphrase))
  }

  function fileRevoke(event: SubmitEvent) {
    event.preventDefault()
    const reason = String(new FormData(event.currentTarget as HTMLFormElement).get('reason')).trim()
    void run(() => requestDeviceRevoke(device.id, reason))
  }

  return (
    <li class="panel" data-device={device.id} data-status={device.status}>
      <p><strong>{device.name}</strong> <span class="badge">{STATUS[device.status]}</span></p>
      <p class="hint">
        {device.last_seen_at ? `Last seen ${new Date(device.last_seen_at).toLocaleString()}` : 'Not seen yet'}
        {device.status === 'active' && ` · ${keyState(device, currentKid)}`}
      </p>
      {fingerprint && <p>Key fingerprint <code class="fingerprint">{fingerprint}</code></p>}
      {fingerprint && device.fingerprint && device.fingerprint !== fingerprint && (
        <p class="error" role="alert">The server labels this key {device.fingerprint}, which is not what this device computes. Do not grant it.</p>
      )}
      {revoke && (
        <p class="warning" data-revoke={revoke.status}>
          {revoke.status === 'PENDING'
            ? mine ? 'Revocation requested: waiting for a second owner or admin to approve it.' : 'Revocation requested: approve it under "Waiting for your approval" on the Sites screen.'
            : 'Revocation approved: execute it to stop this device now.'}
        </p>
      )}
      {error && <p class="error" role="alert">{error}</p>}
      {step === 'compare' && fingerprint && (
        <form class="stack" onSubmit={grant} aria-label="Compare fingerprints">
          <p>When you enrolled it, the device printed its key fingerprint. Compare <strong>every group</strong> with this one:</p>
          <p class="fingerprint big">{fingerprint}</p>
          <p>If any group differs, do not grant: the key you would grant to is not your device's.</p>
          {needsPassphrase && <label>Passphrase<input name="passphrase" type="password" required autoComplete="current-password" /></label>}
          <div class="row">
            <button type="submit" class="primary" disabled={busy}>{busy ? 'Granting…' : 'They match: grant the key'}</button>
            <button type="button" onClick={() => setStep('idle')}>They differ: cancel</button>
          </div>
        </form>
      )}
      {step === 'revoke' && (
        <form class="stack" onSubmit={fileRevoke} aria-label="Revoke device">
          <label>Why revoke it?<input name="reason" required maxLength={500} placeholder="e.g. the farm computer was replaced" /></label>
          <p class="hint">A second owner or admin approves the request; after that the device's token stops working at once.</p>
          <div class="row">
            <button type="submit" disabled={busy}>Request revocation</button>
            <button type="button" onClick={() => setStep('idle')}>Cancel</button>
          </div>
        </form>
      )}
      {step === 'idle' && (
        <div class="row">
          {canGrant && <button type="button" class="primary" onClick={() => setStep('compare')}>Grant the data key…</button>}
          {device.status !== 'revoked' && !revoke && <button type="button" onClick={() => setStep('revoke')}>Revoke…</button>}
          {revoke?.status === 'APPROVED' && <button type="button" class="primary" disabled={busy} onClick={() => void run(() => execute(revoke.id))}>Revoke now</button>}
        </div>
      )}
    </li>
  )
}
