/**
 * Base64 without Buffer, so the browser, its workers, Deno and Node share one
 * implementation. Blocks use standard base64 with padding exactly as `btoa` makes
 * it (the seed's format); keyring ids use base64url without padding (URL-safe).
 */

/** Bytes of a fresh ArrayBuffer: the shape WebCrypto accepts in every runtime's typings. */
export type Bytes = Uint8Array<ArrayBuffer>

// String.fromCharCode(...bytes) overflows the call stack on large inputs; 32 KiB
// chunks stay well under every engine's argument limit.
const CHUNK = 0x8000

/**
 * Encodes bytes as standard base64 with padding.
 * @example bytesToBase64(new Uint8Array([1, 2, 3])) // 'AQID'
 */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK))
  }
  return btoa(binary)
}

/**
 * Decodes standard base64 (with or without padding, as `atob` accepts).
 * Throws a DOMException on characters outside the alphabet; callers validate
 * blocks against the schema first, so that only happens on programmer error.
 */
export function base64ToBytes(base64: string): Bytes {
  const binary = atob(base64)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/**
 * Encodes bytes as base64url without padding (RFC 4648 §5), used for keyring ids.
 * @example bytesToBase64Url(new Uint8Array([251, 255])) // '-_8'
 */
export function bytesToBase64Url(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Decodes base64url with or without padding. */
export function base64UrlToBytes(base64url: string): Bytes {
  const standard = base64url.replace(/-/g, '+').replace(/_/g, '/')
  return base64ToBytes(standard + '='.repeat((4 - (standard.length % 4)) % 4))
}

/** UTF-8 bytes of a string, as the seed encodes passphrases and plaintexts. */
export function utf8(text: string): Bytes {
  return encoder.encode(text) as Bytes
}
const encoder = new TextEncoder()

