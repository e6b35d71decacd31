/**
 * A site's edge devices as the owner manages them: list, add (one-time enrolment
 * code), and grant the data key. The grant is made in the crypto worker; this
 * module only carries the finished grant to the API. Revoking is a change request
 * (change_requests.ts), never a direct call.
 */
import type { DeviceKeyGrant } from '../../../../e2ee/schema.ts'
import type { CreatedDevice, EdgeDevice } from '../../shared/api_types.ts'
import { api } from '../api.ts'
import { cryptoBridge } from '../crypto_bridge.ts'
import { keyring } from '../session.ts'
import { session } from '../state.ts'

const token = () => session.value?.token ?? null

/** The site's devices, oldest first. */
export async function listDevices(siteId: string): Promise<EdgeDevice[]> {
  return (await api<{ devices: EdgeDevice[] }>('GET', `/api/sites/${siteId}/devices`, token())).devices
}

/** Adds a pending device; the answer carries the enrolment code, shown once. */
export function addDevice(siteId: string, name: string): Promise<CreatedDevice> {
  return api<CreatedDevice>('POST', `/api/sites/${siteId}/devices`, token(), { name })
}

/** The fingerprint of the device's key as this device computes it (the server's label is not trusted). */
export function fingerprintOf(device: EdgeDevice): Promise<string | null> {
  return device.public_key ? cryptoBridge().call('deviceFingerprint', { publicKey: device.public_key }) : Promise.resolve(null)
}

/**
 * Grants the device the data key after the owner confirmed `fingerprint` matches
 * what the device printed; without it (a re-grant after a key rotation) the worker
 * uses the fingerprint confirmed earlier on this device. `passphrase` only when the
 * worker asked for it.
 */
export async function grantDevice(device: EdgeDevice, fingerprint?: string, passphrase?: string): Promise<EdgeDevice> {
  const ring = keyring.value?.keyring
  if (!device.public_key || !ring) throw new Error('Cannot grant the device: it has no key yet, or the keyring is not loaded')
  const grant: DeviceKeyGrant = await cryptoBridge().call('grantDevice', {
    keyring: ring, deviceId: device.id, publicKey: device.public_key, ...(fingerprint ? { confirmedFingerprint: fingerprint } : {}), ...(passphrase ? { passphrase } : {}),
  })
  return api<EdgeDevice>('PUT', `/api/devices/${device.id}/grant`, token(), { grant })
}
