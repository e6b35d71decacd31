/**
 * Test helpers: the miner reply fixtures (tests/sim/fixtures) as wire text or as a
 * map of command replies, the shape the telemetry code reads.
 */
import { type CommandReply, decodeReply } from '../cgminer/protocol.ts'

const dir = new URL('../../tests/sim/fixtures/', import.meta.url)

/** A fixture file's text, as a miner would send it (plus a NUL when `nul`). */
export function fixtureText(name: string, nul = false): string {
  return Deno.readTextFileSync(new URL(name, dir)) + (nul ? '\0' : '')
}

/** Replies keyed by command, from `{command: fixtureFile}` (or raw text with `text:`). */
export function fixtureReplies(files: Record<string, string>): Map<string, CommandReply> {
  const replies = new Map<string, CommandReply>()
  for (const [command, file] of Object.entries(files)) {
    const text = file.startsWith('text:') ? file.slice(5) : fixtureText(file)
    replies.set(command, decodeReply(command, text))
  }
  return replies
}
