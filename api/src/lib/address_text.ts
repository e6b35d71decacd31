/**
 * Text the edge sends back (telemetry errors, command results) is stored and shown
 * to every member; an address in it would leak a full-E2EE miner's location.
 */

/** IPv4, or IPv6 (with '::' or at least four colons, so a time like 12:30:45 passes). */
export const ADDRESS = /\b\d{1,3}(?:\.\d{1,3}){3}\b|(?:[0-9a-f]{0,4}:){4,7}[0-9a-f]{0,4}|[0-9a-f]{0,4}::[0-9a-f:]*/i

/** True when `text` contains something that looks like an IP address. */
export function containsAddress(text: string): boolean {
  return ADDRESS.test(text)
}
