/**
 * The fingerprint of an edge device's public key, as the device prints it and as
 * e2ee/device_grant.ts computes it (one formatting, e2ee/fingerprint.ts). The server's copy is only a
 * label for lists; the owner's device recomputes it from the key before granting,
 * since a server that swapped the key could also swap its fingerprint.
 */
import { createHash } from 'node:crypto'
import { formatFingerprint, thumbprintInput } from '../../../e2ee/fingerprint.ts'
import type { DevicePublicKey } from '../../../e2ee/schema.ts'

/** The fingerprint of `key` (a public key: hashing it reveals nothing secret). */
export function deviceKeyFingerprint(key: DevicePublicKey): string {
  return formatFingerprint(createHash('sha256').update(thumbprintInput(key)).digest())
}
