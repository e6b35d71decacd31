/**
 * Secrets that pair an edge device: a short one-time enrolment code a person can
 * type, and the long-lived device token. The database keeps only their SHA-256.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto'

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** A 10-character code (50 bits) shown as XXXXX-XXXXX. */
export function newEnrollmentCode(): string {
  let code = ''
  for (let i = 0; i < 10; i++) code += CROCKFORD[randomInt(32)]
  return `${code.slice(0, 5)}-${code.slice(5)}`
}

/** The code as typed, made canonical: case, spaces and dashes forgiven; I/L read as 1, O as 0. */
export function normalizeEnrollmentCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0')
}

/** A device token: `hie_` and 32 random bytes. */
export function newDeviceToken(): string {
  return `hie_${randomBytes(32).toString('base64url')}`
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex')
}
