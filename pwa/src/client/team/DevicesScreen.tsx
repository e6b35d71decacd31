/**
 * A site's edge devices (owner/admin): status, last seen, key fingerprint and
 * whether each holds the current data key; add a device, grant it the key after
 * comparing fingerprints, revoke it through a four-eyes change request, and rotate
 * the data key afterwards.
 */
import { useEffect, useState } from 'preact/hooks'
import type { CreatedDevice, EdgeDevice } from '../../shared/api_types.ts'
import { refreshChanges } from '../change_requests.ts'
import { lockStatus, session } from '../state.ts'
import { DeviceRow } from './DeviceRow.tsx'
import { KeyRotationPanel } from './KeyRotationPanel.tsx'
import { addDevice, fingerprintOf, listDevices } from './devices.ts'

export function DevicesScreen({ siteId }: { siteId: string }) {
  const [devices, setDevices] = useState<EdgeDevice[] | null>(null)
  const [fingerprints, setFingerprints] = useState<Record<string, string | null>>({})
  const [created, setCreated] = useState<CreatedDevice | null>(null)
  const [error, setError] = useState<string | null>(null)
  const role = session.value?.tenant.role ?? ''
  const allowed = role === 'owner' || role === 'admin'

  async function reload() {
    try {
      const list = await listDevices(siteId)
      setDevices(list)
      const computed = await Promise.all(list.map(async (d) => [d.id, await fingerprintOf(d)] as const))
      setFingerprints(Object.fromEntries(computed))
      await refreshChanges()
      setError(null)
    } catch (e) {
      setError((e as Error).message)
    }
  }

  useEffect(() => {
    if (allowed) void reload()
  }, [siteId, allowed])

  if (!allowed) return <p class="hint">Only owners and admins manage edge devices.</p>

  async function add(event: SubmitEvent) {
    event.preventDefault()
    const form = event.currentTarget as HTMLFormElement
    try {
      setCreated(await addDevice(siteId, String(new FormData(form).get('name')).trim()))
      form.reset()
      await reload()
    } catch (e) {
      setError((e as Error).message)
    }
  }

  return (
    <section class="stack">
      <div class="row">
        <h1 class="grow">Edge devices</h1>
        <button type="button" onClick={() => void reload()}>Refresh</button>
      </div>
      <p class="hint">An edge device runs the collector on the farm network. It reads miners' logins only after you grant it the data key.</p>
      {error && <p class="error" role="alert">{error}</p>}
      {devices === null ? <p>Loading…</p> : devices.length === 0 ? <p class="hint">No devices on this site yet.</p> : (
        <ul class="cards" aria-label="Devices">
          {devices.map((d) => <DeviceRow key={d.id} device={d} fingerprint={fingerprints[d.id] ?? null} currentKid={lockStatus.value.kid} onChanged={reload} />)}
        </ul>
      )}
      <form onSubmit={add} class="inline" aria-label="Add a device">
        <label class="grow">New device name<input name="name" required maxLength={120} placeholder="e.g. Hall B collector" /></label>
        <button type="submit">Add a device</button>
      </form>
      {created && <EnrolmentCode created={created} />}
      <KeyRotationPanel onRotated={reload} />
    </section>
  )
}

function EnrolmentCode({ created }: { created: CreatedDevice }) {
  const command = `npm run edge -- enroll ${created.enrollment_code} --api ${location.origin}`
  return (
    <div class="panel" aria-label="Enrolment code">
      <p>Run this on the farm computer for <strong>{created.device.name}</strong>. The code works once, until {new Date(created.expires_at).toLocaleTimeString()}.</p>
      <pre class="command"><code>{command}</code></pre>
      <p class="hint">It prints the device key's fingerprint. Keep it at hand: you compare it here before granting the key.</p>
    </div>
  )
}
