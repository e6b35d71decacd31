/**
 * The fingerprint of an edge device's public key, as the device prints it and as
 * e2ee/device_grant.ts computes it: the first 80 bits of the RFC 7638 SHA-256
 * thumbprint in Crockford base32, XXXX-XXXX-XXXX-XXXX. The server's copy is only a
 * label for lists; the owner's device recomputes it from the key before granting,
 * since a server that swapped the key could also swap its fingerprint.
 */
import { createHash } from 'node:crypto'
import type { DevicePublicKey } from '../../../e2ee/schema.ts'

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** The fingerprint of `key` (a public key: hashing it reveals nothing secret). */
export function deviceKeyFingerprint(key: DevicePublicKey): string {
  const digest = createHash('sha256').update(JSON.stringify({ crv: key.crv, kty: key.kty, x: key.x, y: key.y })).digest()
  let bits = 0, value = 0, out = ''
  for (const byte of digest.subarray(0, 10)) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return out.match(/.{4}/g)!.join('-')
}
