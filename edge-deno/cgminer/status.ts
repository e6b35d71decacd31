/**
 * The cgminer `STATUS` block: every reply carries one, as a list of one object
 * (`"STATUS":[{"STATUS":"S","Code":11,"Msg":"Summary",...}]`) or, on Whatsminer v2,
 * as a bare string with the other fields at the top level (`"STATUS":"S","Code":131`).
 */

/** S success, I info, W warning, E error, F fatal (cgminer api.c). */
export type StatusLetter = 'S' | 'I' | 'W' | 'E' | 'F'

/** A reply's status, read from either shape. */
export interface CgminerStatus {
  status: StatusLetter
  code: number | null
  msg: string
  description: string
  /** Seconds since the epoch on the miner's clock, when it said. */
  when: number | null
}

const LETTERS = new Set(['S', 'I', 'W', 'E', 'F'])

function record(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null
}

function fromFields(letter: unknown, fields: Record<string, unknown>): CgminerStatus | null {
  if (typeof letter !== 'string' || !LETTERS.has(letter)) return null
  const code = typeof fields.Code === 'number' ? fields.Code : null
  const when = typeof fields.When === 'number' ? fields.When : null
  return {
    status: letter as StatusLetter,
    code,
    msg: typeof fields.Msg === 'string' ? fields.Msg : '',
    description: typeof fields.Description === 'string' ? fields.Description : '',
    when,
  }
}

/**
 * Reads the status of one reply object, or null when it has none.
 * @example readStatus({STATUS: [{STATUS: 'E', Code: 10, Msg: 'No ASCs'}]}) // {status: 'E', code: 10, ...}
 */
export function readStatus(reply: unknown): CgminerStatus | null {
  const body = record(reply)
  if (!body) return null
  const status = body.STATUS
  if (typeof status === 'string') return fromFields(status, body)
  if (Array.isArray(status)) {
    const first = record(status[0])
    return first ? fromFields(first.STATUS, first) : null
  }
  return null
}

/** True for E and F: the miner refused or failed the command. */
export function isErrorStatus(status: CgminerStatus | null): boolean {
  return status !== null && (status.status === 'E' || status.status === 'F')
}

/**
 * One line for logs and telemetry warnings.
 * @example describeStatus('devs', {status: 'E', code: 10, msg: 'No ASCs', ...}) // "devs: No ASCs (E 10)"
 */
export function describeStatus(command: string, status: CgminerStatus): string {
  const code = status.code === null ? '' : ` ${status.code}`
  return `${command}: ${status.msg || 'no message'} (${status.status}${code})`
}
