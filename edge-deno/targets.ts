/**
 * The site's miners, as the API lists them, to what the collector polls: each miner's
 * blocks decrypted here and nowhere else. Plan A miners keep their plaintext address
 * and get their credentials decrypted; Plan B (full E2EE) miners get their whole
 * connection, address included, from the `connection_full` block.
 *
 * v1 blocks open with the passphrase; v2 blocks with the tenant data key — from this
 * device's key grant when it names the block's keyring (no passphrase needed), else
 * unlocked once from the keyring with the passphrase — in the context (tenant, kind,
 * miner id) so a block moved to another miner fails, and through the anti-rollback
 * guard so an older block fails.
 * A miner that cannot be resolved is reported, never fatal to the others.
 */
import {
  createKeyCache, decryptBlock, decryptObject, type DataKey, type DeviceKeyGrant, E2eeError, openDeviceGrant, type RollbackGuard, unlockKeyring,
  type CryptoKeyHandle, type WrappedKeyring,
} from '../e2ee/mod.ts'
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

export interface ResolverOptions {
  /** The tenant this device was enrolled in (from the state dir, not from the API). */
  tenantId: string
  /** Undefined when none was given: v1 blocks, and v2 blocks without a grant, are then unpolled. */
  passphrase?: string
  guard: RollbackGuard
  /** This device's id and ECDH private key (from `enroll`), to open its key grant. */
  device?: { id: string; privateKey: CryptoKeyHandle }
}

type BlockKind = 'credentials' | 'connection_full'

class Unpollable extends Error {
  constructor(readonly kind: 'decrypt' | 'config', message: string) {
    super(message)
  }
}

/** "Cannot unlock keyring: wrong passphrase" → "wrong passphrase". */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.replace(/^Cannot [^:]+: /, '')
}

/**
 * Decrypts miners into poll targets. Keeps the unlocked data key (per keyring) and
 * v1 plaintexts (per block, only those still listed) so a refresh costs no KDF.
 * @example
 * const resolver = new MinerResolver({ tenantId, passphrase, guard })
 * const { targets, unpolled } = await resolver.resolve(miners, keyring)
 */
export class MinerResolver {
  readonly #options: ResolverOptions
  readonly #keyCache = createKeyCache({ maxEntries: 4 })
  #key: { keyring: string; result: Promise<DataKey> } | undefined
  #granted: { grant: string; result: Promise<DataKey> } | undefined
  #v1 = new Map<string, unknown>()

  constructor(options: ResolverOptions) {
    this.#options = options
  }

  /**
   * Resolves every miner; never throws for one miner's problem.
   * @param grant this device's key grant (GET /api/edge/grant), or null/undefined for none
   */
  async resolve(miners: readonly EdgeMiner[], keyring: WrappedKeyring | null, grant?: DeviceKeyGrant | null): Promise<Resolution> {
    this.#setGrant(grant ?? null)
    const previousV1 = this.#v1
    this.#v1 = new Map()
    const out: Resolution = { targets: [], unpolled: [] }
    for (const miner of miners) {
      try {
        out.targets.push(await this.#resolveOne(miner, keyring, previousV1))
      } catch (error) {
        const kind = error instanceof Unpollable ? error.kind : 'decrypt'
        out.unpolled.push({ id: miner.id, name: miner.name, kind, message: error instanceof Error ? error.message : String(error) })
      }
    }
    return out
  }

  async #resolveOne(miner: EdgeMiner, keyring: WrappedKeyring | null, previousV1: Map<string, unknown>): Promise<MinerTarget> {
    const credentials = miner.encrypted_credentials == null ? null : await this.#open(miner, 'credentials', miner.encrypted_credentials, keyring, previousV1)
    if (!miner.use_full_e2ee) {
      if (!miner.ip_address) throw new Unpollable('config', 'Cannot poll miner: it has no address (Plan A miner without ip_address)')
      return { id: miner.id, name: miner.name, address: { hostname: miner.ip_address, port: miner.port ?? CGMINER_PORT }, credentials }
    }
    if (miner.encrypted_connection_full == null) {
      throw new Unpollable('config', 'Cannot poll miner: full E2EE is on but the miner has no encrypted connection')
    }
    const connection = await this.#open(miner, 'connection_full', miner.encrypted_connection_full, keyring, previousV1)
    const address = connectionAddress(connection)
    const { ip_address: _ip, port: _port, ...login } = connection
    return { id: miner.id, name: miner.name, address, credentials: credentials ?? login }
  }

  async #open(miner: EdgeMiner, kind: BlockKind, block: unknown, keyring: WrappedKeyring | null, previousV1: Map<string, unknown>): Promise<Record<string, unknown>> {
    const { passphrase, guard, tenantId } = this.#options
    const scope = { tenantId, kind, subjectId: miner.id }
    const version = (block as { version?: unknown })?.version
    const fail = (reason: string): never => {
      throw new Unpollable('decrypt', `Cannot decrypt ${kind} block: ${reason}`)
    }
    const noPassphrase = 'no passphrase given (set HASHINSIGHT_PASSPHRASE or --passphrase-file)'
    let value: unknown
    try {
      if (version === 1) {
        if (passphrase === undefined) fail(noPassphrase)
        // The API never replaces a v2 block by a v1 one; a server that does is rolling back.
        if (guard.highest(scope) > 0) fail(`a version 1 block replaces the version 2 block already accepted (counter ${guard.highest(scope)}); refused as a rollback`)
        const cacheKey = JSON.stringify(block)
        value = previousV1.has(cacheKey) ? previousV1.get(cacheKey) : await decryptObject(block, passphrase!)
        this.#v1.set(cacheKey, value)
      } else if (version === 2) {
        const kid = (block as { kid?: unknown }).kid
        const granted = this.#granted && this.#grantKid === kid ? await this.#granted.result : undefined
        if (!granted) {
          if (passphrase === undefined) fail(this.#granted ? `${noPassphrase}, and this device's key grant is for another keyring (ask the owner to grant the current one)` : `${noPassphrase}, and this device has no key grant`)
          if (!keyring) fail('it is a version 2 block but the tenant has no keyring')
        }
        value = await decryptBlock(granted ?? await this.#dataKey(keyring!), block, scope, { guard })
      } else {
        fail('unknown block version')
      }
    } catch (error) {
      if (error instanceof Unpollable) throw error
      if (!(error instanceof E2eeError)) fail(`unexpected failure (${reasonOf(error)})`)
      // RollbackError says "Cannot accept block: …"; everything else "Cannot decrypt/unlock …".
      const verb = (error as Error).message.startsWith('Cannot accept') ? 'accept' : 'decrypt'
      const keyringNote = (error as Error).message.startsWith('Cannot unlock keyring') ? 'cannot unlock the keyring: ' : ''
      throw new Unpollable('decrypt', `Cannot ${verb} ${kind} block: ${keyringNote}${reasonOf(error)}`)
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('its plaintext is not an object')
    return value as Record<string, unknown>
  }

  #grantKid: string | undefined

  /** Opens each grant once; a grant this device cannot open is remembered as such. */
  #setGrant(grant: DeviceKeyGrant | null): void {
    const device = this.#options.device
    if (!grant || !device) {
      this.#granted = undefined
      this.#grantKid = undefined
      return
    }
    const id = JSON.stringify(grant)
    if (this.#granted?.grant === id) return
    const result = openDeviceGrant(grant, device.privateKey, { tenantId: this.#options.tenantId, deviceId: device.id })
    result.catch(() => {})
    this.#granted = { grant: id, result }
    this.#grantKid = grant.kid
  }

  /** Unlocks each keyring once; a failure (wrong passphrase) is remembered too, not retried per miner. */
  #dataKey(keyring: WrappedKeyring): Promise<DataKey> {
    const id = JSON.stringify(keyring)
    if (this.#key?.keyring !== id) {
      const result = unlockKeyring(keyring, this.#options.passphrase!, this.#options.tenantId, { cache: this.#keyCache })
      result.catch(() => {})
      this.#key = { keyring: id, result }
    }
    return this.#key.result
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
