/**
 * Loopback address ranges for simulated miners. Only 127.0.0.0/8 is ever produced:
 * the simulator must never bind, or make anyone connect to, another address.
 */

/** Throws unless `address` is a dotted IPv4 address inside 127.0.0.0/8. */
export function assertLoopback(address: string): void {
  const octets = address.split('.')
  const valid = octets.length === 4 && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)
  if (!valid || octets[0] !== '127') {
    throw new RangeError(`Cannot bind simulated miner to ${address}: only 127.0.0.0/8 is allowed`)
  }
}

function toNumber(address: string): number {
  return address.split('.').reduce((n, o) => n * 256 + Number(o), 0)
}

function toAddress(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
}

/**
 * `count` loopback addresses from `base` upward, skipping x.x.x.0 and x.x.x.255 so a
 * /24 scan (which skips network and broadcast addresses) sees every miner.
 * @example loopbackRange('127.1.0.254', 3) // ['127.1.0.254', '127.1.1.1', '127.1.1.2']
 */
export function loopbackRange(base: string, count: number): string[] {
  assertLoopback(base)
  const addresses: string[] = []
  let n = toNumber(base)
  while (addresses.length < count) {
    const last = n & 255
    if (last !== 0 && last !== 255) {
      const address = toAddress(n)
      assertLoopback(address)
      addresses.push(address)
    }
    n++
  }
  return addresses
}
