/**
 * Edge-device key grants in the worker: device fingerprints and the data key
 * wrapped for a device's public key.
 *
 * Why the grant re-derives the key: the held data key is non-extractable (so a
 * remembered key in IndexedDB can never be read out), and WebCrypto's `wrapKey`
 * refuses a non-extractable key. grantDataKey needs an extractable one, so at the
 * moment of granting we unlock the keyring once more with `{ grantable: true }`,
 * using the passphrase this worker already holds since unlock (or one typed again
 * after a restore from this device). That extractable copy lives only in this
 * function's scope, is never stored or cached, and is dropped when the grant is made.
 *
 * The fingerprint the owner confirmed is remembered on this device, so after a key
 * rotation the device is granted again without a new comparison only while its key
 * is still the one that was compared (a server swapping keys is caught here).
 */
import { deviceFingerprint, grantDataKey, unlockKeyring, type DeviceKeyGrant, type DevicePublicKey, type WrappedKeyring } from '../../../e2ee/mod.ts'
import { openAppDb } from '../shared/db.ts'
import { unlocked } from './key_holder.ts'

const coded = (code: string, message: string) => Object.assign(new Error(message), { code })

/** The fingerprint of a device's public key, as the collector prints it at enrolment. */
export function fingerprintOf(publicKey: DevicePublicKey): Promise<string> {
  return deviceFingerprint(publicKey)
}

/**
 * Wraps the data key for one device, after checking the key is still the one whose
 * fingerprint the owner confirmed (so a key swapped between compare and grant is refused).
 */
export async function grantDevice(args: { keyring: WrappedKeyring; deviceId: string; publicKey: DevicePublicKey; confirmedFingerprint?: string; passphrase?: string }): Promise<DeviceKeyGrant> {
  const { key, passphrase: held } = unlocked()
  const db = await openAppDb()
  const remembered = `confirmed-fingerprint:${key.tenantId}:${args.deviceId}`
  const confirmed = args.confirmedFingerprint ?? ((await db.get('device', remembered)) as string | undefined)
  if (!confirmed) throw coded('needs_comparison', 'Cannot grant the device again: its fingerprint was not compared on this device; compare it and grant it')
  if ((await deviceFingerprint(args.publicKey)) !== confirmed) {
    throw coded('fingerprint_changed', 'Cannot grant the device: its key is not the one you compared; compare the fingerprint again')
  }
  if (args.keyring.kid !== key.kid) throw coded('context_mismatch', 'Cannot grant the device: the keyring changed since you unlocked; lock and unlock again')
  const secret = args.passphrase ?? held
  if (!secret) throw coded('needs_passphrase', 'Cannot grant the device: enter your passphrase once more (the key remembered on this device cannot be copied out)')
  const grantable = await unlockKeyring(args.keyring, secret, key.tenantId, { grantable: true })
  const grant = await grantDataKey(grantable, args.publicKey, { tenantId: key.tenantId, deviceId: args.deviceId })
  await db.put('device', confirmed, remembered)
  return grant
}
