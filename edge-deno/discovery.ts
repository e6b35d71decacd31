/**
 * Discovery in two stages, so a slow network does not make it miss miners: a fast
 * TCP connect probe at high concurrency finds open ports, then identification
 * (`version`, then `stats` if needed) at lower concurrency with a longer deadline.
 */
import { CGMINER_PORT, formatAddress, type MinerAddress } from './cgminer/address.ts'
import { CgminerClient, MinerError } from './cgminer/client.ts'
import { startDeadline } from './cgminer/_deadline.ts'
import type { CommandReply } from './cgminer/protocol.ts'
import { identifyMiner, type MinerIdentity } from './cgminer/identify.ts'
import { checkScanRange, rangeHosts } from './cidr.ts'
import { mapPool } from './poller.ts'

export interface ScanOptions {
  port?: number
  /** Scan beyond 127.0.0.0/8 (off by default). */
  allowNonLoopback?: boolean
  /** Refuse ranges with more hosts than this (default 65 534). */
  maxHosts?: number
  /** Connect probes at once (default 512) and their deadline (default 1000 ms). */
  probeConcurrency?: number
  probeTimeoutMs?: number
  /** Identifications at once (default 32) and their deadline (default 5000 ms). */
  identifyConcurrency?: number
  identifyTimeoutMs?: number
  signal?: AbortSignal
}

/** A miner that answered. Identity fields are null when it opened the port but did not speak cgminer. */
export interface FoundMiner extends MinerIdentity {
  address: string
  /** Why identification failed, when it did. */
  error: string | null
}

/** True when something accepts TCP connections at `address` within the deadline. */
export async function probe(address: MinerAddress, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  try {
    using deadline = startDeadline(timeoutMs, signal)
    using _conn = await Deno.connect({ ...address, signal: deadline.signal })
    return true
  } catch {
    return false
  }
}

async function identify(client: CgminerClient, address: MinerAddress): Promise<FoundMiner> {
  const replies = new Map<string, CommandReply>()
  try {
    replies.set('version', await client.command(address, 'version'))
    if (identifyMiner(replies).model === null) replies.set('stats', await client.command(address, 'stats'))
    return { address: formatAddress(address), ...identifyMiner(replies), error: null }
  } catch (error) {
    if (!(error instanceof MinerError)) throw error
    const known = replies.size > 0 ? identifyMiner(replies) : { vendor: 'unknown' as const, model: null, firmware: null }
    return { address: formatAddress(address), ...known, error: error.message }
  }
}

/**
 * Scans `cidr` for cgminer APIs and identifies what answers.
 * @throws {RangeError} for a range outside 127.0.0.0/8 without `allowNonLoopback`, or over the size cap
 * @example await scan('127.1.0.0/24') // [{address: '127.1.0.1:4028', vendor: 'antminer', model: 'Antminer S19 Pro', ...}]
 */
export async function scan(cidr: string, options: ScanOptions = {}): Promise<FoundMiner[]> {
  const range = checkScanRange(cidr, options)
  const port = options.port ?? CGMINER_PORT
  const addresses = [...rangeHosts(range)].map((hostname) => ({ hostname, port }))
  const open = await mapPool(addresses, options.probeConcurrency ?? 512, async (address) =>
    (await probe(address, options.probeTimeoutMs ?? 1000, options.signal)) ? address : null)
  const timeoutMs = options.identifyTimeoutMs ?? 5000
  const client = new CgminerClient({ timeoutMs, connectTimeoutMs: timeoutMs, signal: options.signal })
  const found = open.filter((address) => address !== null)
  return await mapPool(found, options.identifyConcurrency ?? 32, (address) => identify(client, address))
}
