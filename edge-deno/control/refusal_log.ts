/**
 * The edge's own record of refused commands (`commands_refused.jsonl` in the state
 * dir, one JSON line each: time, id, reason, message). The refusal is reported to the
 * API too, but a hostile server could drop that report; this file it cannot touch.
 * Past 1 MiB the file moves to `.1` (one generation kept), so it stays bounded.
 */
import type { Refusal } from './verify_command.ts'

const MAX_BYTES = 1024 * 1024

/** Appends one refusal; never throws (a full disk must not stop the runner). */
export async function recordRefusal(stateDir: string, id: string, refusal: Refusal, now = new Date()): Promise<void> {
  const path = `${stateDir}/commands_refused.jsonl`
  try {
    const size = await Deno.stat(path).then((s) => s.size, () => 0)
    if (size > MAX_BYTES) await Deno.rename(path, `${path}.1`)
    await Deno.writeTextFile(path, JSON.stringify({ at: now.toISOString(), id, reason: refusal.reason, message: refusal.message }) + '\n', { append: true, mode: 0o600 })
  } catch {
    // The log line written by the runner still says why.
  }
}
