/**
 * The site's miners, as the API lists them, to what the collector polls: each miner's
 * blocks decrypted here and nowhere else. Plan A miners keep their plaintext address
 * and get their credentials decrypted; Plan B (full E2EE) miners get their whole
 * connection, address included, from the `connection_full` block.
 *
 * Blocks open through {@linkcode BlockOpener} (passphrase or key grant, context tenant,
 * kind and miner id, anti-rollback guard), so a block moved to another miner fails.
 * A miner that cannot be resolved is reported, never fatal to the others.
 */
import type { DeviceKeyGrant, WrappedKeyring } from '../e2ee/mod.ts'
import { BlockOpener, type BlockOpenerOptions } from './block_opener.ts'
import { CGMINER_PORT, type MinerAddress, parseAddress } from './cgminer/address.ts'
import type { EdgeMinersResponse } from './api_client.ts'

export type EdgeMiner = EdgeMinersResponse['miners'][number]

/** A miner the collector can poll. */
export interface MinerTarget {
  id: string
  name: string
  address: MinerAddress
  /** The decrypted login (Plan A credentials, or the Plan B connection's), kept in memory only. */
  credentials: Record<string, unknown> | null
}

/** A miner the collector cannot poll, and why (no address or secret in `message`). */
export interface UnpolledMiner {
  id: string
  name: string
  kind: 'decrypt' | 'config'
  message: string
}

export interface Resolution {
  targets: MinerTarget[]
  unpolled: UnpolledMiner[]
}

/** Without a passphrase, v1 blocks, and v2 blocks without a grant, are unpolled. */
export type ResolverOptions = BlockOpenerOptions

class Unpollable extends Error {
  constructor(readonly kind: 'decrypt' | 'config', message: string) {
    super(message)
  }
}

/**
 * Decrypts miners into poll targets. Keeps the unlocked data key (per keyring) and
 * v1 plaintexts (per block, only those still listed) so a refresh costs no KDF.
 * @example
 * const resolver = new MinerResolver({ tenantId, passphrase, guard })
 * const { targets, unpolled } = await resolver.resolve(miners, keyring)
 */
export class MinerResolver {
  readonly #opener: BlockOpener

  constructor(options: ResolverOptions) {
    this.#opener = new BlockOpener(options)
  }

  /**
   * Resolves every miner; never throws for one miner's problem.
   * @param grant this device's key grant (GET /api/edge/grant), or null/undefined for none
   */
  async resolve(miners: readonly EdgeMiner[], keyring: WrappedKeyring | null, grant?: DeviceKeyGrant | null): Promise<Resolution> {
    this.#opener.newRound(grant ?? null)
    const out: Resolution = { targets: [], unpolled: [] }
    for (const miner of miners) {
      try {
        out.targets.push(await this.#resolveOne(miner, keyring))
      } catch (error) {
        const kind = error instanceof Unpollable ? error.kind : 'decrypt'
        out.unpolled.push({ id: miner.id, name: miner.name, kind, message: error instanceof Error ? error.message : String(error) })
      }
    }
    return out
  }

  async #resolveOne(miner: EdgeMiner, keyring: WrappedKeyring | null): Promise<MinerTarget> {
    const credentials = miner.encrypted_credentials == null ? null : await this.#opener.open('credentials', miner.id, miner.encrypted_credentials, keyring)
    if (!miner.use_full_e2ee) {
      if (!miner.ip_address) throw new Unpollable('config', 'Cannot poll miner: it has no address (Plan A miner without ip_address)')
      return { id: miner.id, name: miner.name, address: { hostname: miner.ip_address, port: miner.port ?? CGMINER_PORT }, credentials }
    }
    if (miner.encrypted_connection_full == null) {
      throw new Unpollable('config', 'Cannot poll miner: full E2EE is on but the miner has no encrypted connection')
    }
    const connection = await this.#opener.open('connection_full', miner.id, miner.encrypted_connection_full, keyring)
    const address = connectionAddress(connection)
    const { ip_address: _ip, port: _port, ...login } = connection
    return { id: miner.id, name: miner.name, address, credentials: credentials ?? login }
  }
}

function connectionAddress(connection: Record<string, unknown>): MinerAddress {
  const host = connection.ip_address
  if (typeof host !== 'string' || host.trim() === '') {
    throw new Unpollable('config', 'Cannot poll miner: its encrypted connection has no ip_address')
  }
  const port = connection.port ?? CGMINER_PORT
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Unpollable('config', 'Cannot poll miner: its encrypted connection has no valid port (1-65535)')
  }
  try {
    return parseAddress(host.includes(':') && !host.startsWith('[') ? `[${host}]` : host, port)
  } catch {
    throw new Unpollable('config', 'Cannot poll miner: its encrypted connection has an ip_address that is not a host name or IP address')
  }
}
