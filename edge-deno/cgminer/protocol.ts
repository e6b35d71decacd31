/**
 * cgminer API framing without I/O: the request bytes, the reply object, and the
 * `a+b` multi-command form (`{"command":"summary+pools"}` answered by
 * `{"summary":[{...}],"pools":[{...}],"id":1}`).
 */
import { parseMinerJson } from './repair.ts'
import { type CgminerStatus, readStatus } from './status.ts'

/** One command's reply, split out of a multi-command reply or read alone. */
export interface CommandReply {
  command: string
  status: CgminerStatus | null
  /** The reply object itself, e.g. `{STATUS: [...], SUMMARY: [...], id: 1}`. */
  body: Record<string, unknown>
  /** The miner's JSON needed repairs (a vendor quirk). */
  repaired: boolean
  /** The reply was cut off and closed at its last complete member. */
  truncated: boolean
}

const encoder = new TextEncoder()

/**
 * The whole request as one buffer: cgminer reads one `recv()` and refuses the rest.
 * @example encodeRequest('summary+pools') // bytes of {"command":"summary+pools"}
 */
export function encodeRequest(command: string, parameter?: string): Uint8Array {
  const request = parameter === undefined ? { command } : { command, parameter }
  return encoder.encode(JSON.stringify(request))
}

/**
 * Parses a reply's text (NUL and vendor quirks handled).
 * @throws {SyntaxError} when the reply is empty or not repairable JSON
 */
export function decodeReply(command: string, text: string): CommandReply {
  if (/^[\s\0]*$/.test(text)) throw new SyntaxError('Cannot parse miner reply: it is empty')
  const parsed = parseMinerJson(text)
  const body = parsed.value
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new SyntaxError('Cannot parse miner reply: it is not a JSON object')
  }
  const record = body as Record<string, unknown>
  return { command, status: readStatus(record), body: record, repaired: parsed.repaired, truncated: parsed.truncated }
}

/**
 * Splits a multi-command reply into one reply per command, or returns null when the
 * miner did not answer in the multi-command form (it rejected `a+b`).
 */
export function splitMultiReply(commands: readonly string[], reply: CommandReply): Map<string, CommandReply> | null {
  const parts = new Map<string, CommandReply>()
  for (const command of commands) {
    const section = reply.body[command]
    const inner = Array.isArray(section) ? section[0] : undefined
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return null
    const body = inner as Record<string, unknown>
    parts.set(command, { command, status: readStatus(body), body, repaired: reply.repaired, truncated: reply.truncated })
  }
  return parts
}
