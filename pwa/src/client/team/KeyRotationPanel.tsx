/**
 * The data-key rotation, on the Devices screen: after a device is revoked it may
 * still know the old key, so the owner rotates it — a four-eyes request, then this
 * device re-encrypts every block under a new key with a progress bar, grants the
 * remaining devices again, and completes. Interrupted, it resumes from what is left.
 */
import { useEffect, useState } from 'preact/hooks'
import { CryptoError } from '../crypto_bridge.ts'
import { execute, openRequestFor } from '../change_requests.ts'
import { session } from '../state.ts'
import { readRotation, requestRotation, runRotation, type Rotation, type RotationProgress } from './key_rotation.ts'

const STEP: Record<RotationProgress['step'], string> = {
  starting: 'Making the new key…', reencrypting: 'Re-encrypting', granting: 'Granting the new key to your devices…',
  completing: 'Finishing…', done: 'Done',
}

export function KeyRotationPanel({ onRotated }: { onRotated: () => Promise<void> }) {
  const [rotation, setRotation] = useState<Rotation | null | undefined>(undefined)
  const [progress, setProgress] = useState<RotationProgress | null>(null)
  const [needsPassphrase, setNeedsPassphrase] = useState(false)
  const [asking, setAsking] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const me = session.value
  const request = openRequestFor('BATCH_REENCRYPT', me?.tenant.id ?? '')

  const reload = () => readRotation().then((r) => setRotation(r.rotation), (e: Error) => setError(e.message))
  useEffect(() => void reload(), [request?.status])

  async function guarded(action: () => Promise<unknown>) {
    try {
      await action()
      setError(null)
      setNeedsPassphrase(false)
    } catch (e) {
      if (e instanceof CryptoError && e.code === 'needs_passphrase') setNeedsPassphrase(true)
      setError((e as Error).message)
    }
    await reload()
  }

  function rotate(event: SubmitEvent) {
    event.preventDefault()
    const passphrase = String(new FormData(event.currentTarget as HTMLFormElement).get('passphrase') ?? '') || undefined
    void guarded(async () => {
      await runRotation(setProgress, passphrase)
      await onRotated()
    })
  }

  function file(event: SubmitEvent) {
    event.preventDefault()
    const reason = String(new FormData(event.currentTarget as HTMLFormElement).get('reason')).trim()
    void guarded(() => requestRotation(reason).then(() => setAsking(false)))
  }

  const running = progress !== null && progress.step !== 'done'
  return (
    <section class="panel stack" aria-label="Data key rotation">
      <h2>Data key</h2>
      <p class="hint">A revoked device may still know the current data key. Rotating it re-encrypts every secret under a new key on this device and grants the new key only to the devices still active.</p>
      {error && <p class="error" role="alert">{error}</p>}
      {progress && (
        <div data-rotation-step={progress.step}>
          <p>{STEP[progress.step]}{progress.step === 'reencrypting' && ` ${progress.done} of ${progress.total}`}</p>
          <progress value={progress.done} max={Math.max(progress.total, 1)} aria-label="Re-encryption progress" />
          {progress.step === 'done' && <p class="ok">Rotation complete: {progress.total} {progress.total === 1 ? 'secret' : 'secrets'} re-encrypted under the new key.</p>}
          {progress.regrantLater.length > 0 && <p class="warning">Compare and grant again by hand: {progress.regrantLater.join(', ')}.</p>}
        </div>
      )}
      {!running && rotation && (rotation.status === 'AUTHORISED' || rotation.status === 'IN_PROGRESS') && (
        <form class="stack" onSubmit={rotate} aria-label="Run the rotation">
          {needsPassphrase && <label>Passphrase<input name="passphrase" type="password" required autoComplete="current-password" /></label>}
          <button type="submit" class="primary">{rotation.status === 'AUTHORISED' ? 'Rotate the data key now' : 'Resume the rotation'}</button>
        </form>
      )}
      {!running && !rotation && request?.status === 'PENDING' && (
        <p class="warning" data-rotation-request="PENDING">Rotation requested: waiting for a second owner or admin to approve it.</p>
      )}
      {!running && !rotation && request?.status === 'APPROVED' && (
        <button type="button" class="primary" onClick={() => void guarded(() => execute(request.id))}>Authorise the rotation</button>
      )}
      {!running && !rotation && !request && !asking && <button type="button" onClick={() => setAsking(true)}>Rotate the data key…</button>}
      {asking && (
        <form class="stack" onSubmit={file} aria-label="Request a key rotation">
          <label>Why rotate it?<input name="reason" required maxLength={500} placeholder="e.g. a collector was revoked" /></label>
          <div class="row">
            <button type="submit">Request the rotation</button>
            <button type="button" onClick={() => setAsking(false)}>Cancel</button>
          </div>
        </form>
      )}
    </section>
  )
}
