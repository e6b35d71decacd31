/** What running one action on one miner came to, and how it is worded for the API. */

/** The result the API records per miner. */
export interface MinerOutcome {
  status: 'ok' | 'error' | 'unsupported'
  message?: string
}

/** A miner that has neither path for the action: its answer, not a failure of the batch. */
export const UNSUPPORTED: MinerOutcome = { status: 'unsupported', message: 'not supported by this miner' }

// The API refuses result text naming an address (a full-E2EE miner's location is secret).
const ADDRESS = /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b|\[?(?:[0-9a-f]{0,4}:){4,7}[0-9a-f]{0,4}\]?(?::\d+)?|[0-9a-f]{0,4}::[0-9a-f:]*/gi

/** An error outcome whose message names the miner only as "the miner". */
export function failed(message: string): MinerOutcome {
  return { status: 'error', message: message.replace(ADDRESS, 'the miner').slice(0, 500) }
}

/**
 * The outcome with every secret taken out of its message. Miners echo what they were
 * sent (cgminer's "Invalid addpool details '<url>,<user>,<password>'"), and a result
 * message is stored in clear by the API.
 */
export function withoutSecrets(outcome: MinerOutcome, secrets: readonly string[]): MinerOutcome {
  if (outcome.message === undefined) return outcome
  let message = outcome.message
  // Longest first, so a secret that contains another is removed whole.
  for (const secret of [...secrets].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length)) message = message.replaceAll(secret, '[secret]')
  return { ...outcome, message }
}
