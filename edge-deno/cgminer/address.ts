/** Miner addresses: `host:port` text to a value and back. Pure. */

/** The cgminer API port every miner listens on by default. */
export const CGMINER_PORT = 4028

/** Where one miner's cgminer API listens. */
export interface MinerAddress {
  hostname: string
  port: number
}

/**
 * Parses `host`, `host:port` or `[v6]:port`.
 * @throws {TypeError} "Cannot parse miner address '<text>': <reason>"
 * @example parseAddress('127.1.0.1') // {hostname: '127.1.0.1', port: 4028}
 */
export function parseAddress(text: string, defaultPort = CGMINER_PORT): MinerAddress {
  const trimmed = text.trim()
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed)
  const plain = /^([^:\s]+)(?::(\d+))?$/.exec(trimmed)
  const match = v6 ?? plain
  if (!match) throw new TypeError(`Cannot parse miner address '${text}': expected host or host:port`)
  const port = match[2] === undefined ? defaultPort : Number(match[2])
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new TypeError(`Cannot parse miner address '${text}': port must be 1-65535`)
  }
  return { hostname: match[1], port }
}

/** `host:port`, bracketing IPv6 hosts. */
export function formatAddress(address: MinerAddress): string {
  const host = address.hostname.includes(':') ? `[${address.hostname}]` : address.hostname
  return `${host}:${address.port}`
}

/** True for an IPv4 address in 127.0.0.0/8. */
export function isLoopbackV4(hostname: string): boolean {
  const octets = hostname.split('.')
  return octets.length === 4 && octets[0] === '127' && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)
}
