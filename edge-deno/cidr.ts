/** IPv4 CIDR ranges for discovery: parsing, size caps, and the loopback guard. Pure. */

/** A parsed IPv4 range. */
export interface Ipv4Range {
  /** First address as an unsigned 32-bit number. */
  network: number
  prefix: number
  /** Host addresses scanned: all but the network and broadcast ones when prefix < 31. */
  hosts: number
}

/** Largest range scanned unless the caller raises it (a /16). */
export const MAX_SCAN_HOSTS = 65_534

function toNumber(address: string): number | null {
  const octets = address.split('.')
  if (octets.length !== 4 || !octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) return null
  return octets.reduce((n, o) => n * 256 + Number(o), 0)
}

/** Dotted text of an unsigned 32-bit address. */
export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
}

/**
 * Parses `a.b.c.d/n` (or a bare address as /32).
 * @throws {RangeError} "Cannot parse range '<text>': <reason>"
 */
export function parseCidr(text: string): Ipv4Range {
  const [address, bits = '32'] = text.trim().split('/')
  const base = toNumber(address)
  const prefix = Number(bits)
  if (base === null) throw new RangeError(`Cannot parse range '${text}': '${address}' is not an IPv4 address`)
  if (!/^\d{1,2}$/.test(bits) || prefix > 32) throw new RangeError(`Cannot parse range '${text}': prefix must be 0-32`)
  const size = 2 ** (32 - prefix)
  const network = prefix === 0 ? 0 : (base - (base % size)) >>> 0
  return { network, prefix, hosts: prefix >= 31 ? size : size - 2 }
}

/** True when every address of the range is in 127.0.0.0/8. */
export function isLoopbackRange(range: Ipv4Range): boolean {
  return range.prefix >= 8 && range.network >>> 24 === 127
}

/** The host addresses of the range, in order. */
export function* rangeHosts(range: Ipv4Range): Generator<string> {
  const first = range.prefix >= 31 ? range.network : range.network + 1
  for (let i = 0; i < range.hosts; i++) yield formatIpv4(first + i)
}

/**
 * Checks a range may be scanned: loopback only unless `allowNonLoopback`, and at most
 * `maxHosts` hosts.
 * @throws {RangeError} "Cannot scan <cidr>: <reason>"
 */
export function checkScanRange(text: string, options: { allowNonLoopback?: boolean; maxHosts?: number } = {}): Ipv4Range {
  const range = parseCidr(text)
  const maxHosts = options.maxHosts ?? MAX_SCAN_HOSTS
  if (!options.allowNonLoopback && !isLoopbackRange(range)) {
    throw new RangeError(`Cannot scan ${text}: it is outside 127.0.0.0/8 (pass --allow-non-loopback to scan a real network)`)
  }
  if (range.hosts > maxHosts) throw new RangeError(`Cannot scan ${text}: ${range.hosts} hosts is more than the cap of ${maxHosts}`)
  return range
}
