/**
 * How a device's public key is shown to a person, shared by the owner's device
 * (e2ee/device_grant.ts, hashing with WebCrypto) and the API (a list label,
 * hashing with node:crypto). Pure text work on a digest: no key is used here, so
 * the API may import it without importing any cryptography.
 */
import type { DevicePublicKey } from './schema.ts'

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** The RFC 7638 thumbprint input: the required members in lexicographic order, no spaces. */
export function thumbprintInput(key: DevicePublicKey): string {
  return JSON.stringify({ crv: key.crv, kty: key.kty, x: key.x, y: key.y })
}

/**
 * The first 80 bits of a SHA-256 thumbprint in Crockford base32, as XXXX-XXXX-XXXX-XXXX.
 * @example formatFingerprint(sha256(thumbprintInput(key))) // "7K2Q-9D1M-X4TB-0HZR"
 */
export function formatFingerprint(digest: Uint8Array): string {
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
