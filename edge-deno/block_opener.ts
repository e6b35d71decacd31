/**
 * Opening the tenant's encrypted blocks on this device, whatever they hold (a miner's
 * credentials or connection, a pool API key): v1 blocks with the passphrase; v2 blocks
 * with the tenant data key — from this device's key grant when it names the block's
 * keyring (no passphrase needed), else unlocked once from the keyring with the
 * passphrase — in the context (tenant, kind, subject id) so a block moved to another
 * subject fails, and through the anti-rollback guard so an older block fails.
 */
import {
  type BlockKind, createKeyCache, type CryptoKeyHandle, type DataKey, decryptBlock, decryptObject, type DeviceKeyGrant, E2eeError, openDeviceGrant,
  type RollbackGuard, unlockKeyring, type WrappedKeyring,
} from '../e2ee/mod.ts'

export interface BlockOpenerOptions {
  /** The tenant this device was enrolled in (from the state dir, not from the API). */
  tenantId: string
  /** Undefined when none was given: v1 blocks, and v2 blocks without a grant, then fail. */
  passphrase?: string
  guard: RollbackGuard
  /** This device's id and ECDH private key (from `enroll`), to open its key grant. */
  device?: { id: string; privateKey: CryptoKeyHandle }
}

/** A block this device cannot open; the message names the kind and the reason, never a secret. */
export class UnopenableBlockError extends Error {
  override name = 'UnopenableBlockError'
}

/** "Cannot unlock keyring: wrong passphrase" → "wrong passphrase". */
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.replace(/^Cannot [^:]+: /, '')
}

/**
 * Opens blocks into their plaintext objects. Keeps the unlocked data key (per keyring),
 * the opened grant, and v1 plaintexts (per block, only those opened in the last round)
 * so a refresh costs no KDF.
 * @example
 * const opener = new BlockOpener({ tenantId, passphrase, guard })
 * opener.newRound(grant)
 * const secret = await opener.open('pool_api_key', key.id, key.block, keyring)
 */
export class BlockOpener {
  readonly #options: BlockOpenerOptions
  readonly #keyCache = createKeyCache({ maxEntries: 4 })
  #key: { keyring: string; result: Promise<DataKey> } | undefined
  #granted: { grant: string; kid: string; result: Promise<DataKey> } | undefined
  #v1 = new Map<string, unknown>()
  #v1Previous = new Map<string, unknown>()

  constructor(options: BlockOpenerOptions) {
    this.#options = options
  }

  /**
   * Starts a round of opening with this device's current key grant (GET /api/edge/grant,
   * or null for none). v1 plaintexts not opened again in this round are forgotten at the next.
   */
  newRound(grant: DeviceKeyGrant | null): void {
    this.#setGrant(grant)
    this.#v1Previous = this.#v1
    this.#v1 = new Map()
  }

  /**
   * Opens one block of `kind` for `subjectId`.
   * @throws {UnopenableBlockError} "Cannot decrypt <kind> block: <reason>" (or "Cannot accept …" for a rollback)
   */
  async open(kind: BlockKind, subjectId: string, block: unknown, keyring: WrappedKeyring | null): Promise<Record<string, unknown>> {
    const { passphrase, guard, tenantId } = this.#options
    const scope = { tenantId, kind, subjectId }
    const version = (block as { version?: unknown })?.version
    const fail = (reason: string): never => {
      throw new UnopenableBlockError(`Cannot decrypt ${kind} block: ${reason}`)
    }
    const noPassphrase = 'no passphrase given (set HASHINSIGHT_PASSPHRASE or --passphrase-file)'
    let value: unknown
    try {
      if (version === 1) {
        if (passphrase === undefined) fail(noPassphrase)
        // The API never replaces a v2 block by a v1 one; a server that does is rolling back.
        if (guard.highest(scope) > 0) fail(`a version 1 block replaces the version 2 block already accepted (counter ${guard.highest(scope)}); refused as a rollback`)
        const cacheKey = JSON.stringify(block)
        value = this.#v1Previous.has(cacheKey) ? this.#v1Previous.get(cacheKey) : this.#v1.has(cacheKey) ? this.#v1.get(cacheKey) : await decryptObject(block, passphrase!)
        this.#v1.set(cacheKey, value)
      } else if (version === 2) {
        const kid = (block as { kid?: unknown }).kid
        const granted = this.#granted && this.#granted.kid === kid ? await this.#granted.result : undefined
        if (!granted) {
          if (passphrase === undefined) fail(this.#granted ? `${noPassphrase}, and this device's key grant is for another keyring (ask the owner to grant the current one)` : `${noPassphrase}, and this device has no key grant`)
          if (!keyring) fail('it is a version 2 block but the tenant has no keyring')
        }
        value = await decryptBlock(granted ?? await this.#dataKey(keyring!), block, scope, { guard })
      } else {
        fail('unknown block version')
      }
    } catch (error) {
      if (error instanceof UnopenableBlockError) throw error
      if (!(error instanceof E2eeError)) fail(`unexpected failure (${reasonOf(error)})`)
      // RollbackError says "Cannot accept block: …"; everything else "Cannot decrypt/unlock …".
      const verb = (error as Error).message.startsWith('Cannot accept') ? 'accept' : 'decrypt'
      const keyringNote = (error as Error).message.startsWith('Cannot unlock keyring') ? 'cannot unlock the keyring: ' : ''
      throw new UnopenableBlockError(`Cannot ${verb} ${kind} block: ${keyringNote}${reasonOf(error)}`)
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('its plaintext is not an object')
    return value as Record<string, unknown>
  }

  /** Opens each grant once; a grant this device cannot open is remembered as such. */
  #setGrant(grant: DeviceKeyGrant | null): void {
    const device = this.#options.device
    if (!grant || !device) {
      this.#granted = undefined
      return
    }
    const id = JSON.stringify(grant)
    if (this.#granted?.grant === id) return
    const result = openDeviceGrant(grant, device.privateKey, { tenantId: this.#options.tenantId, deviceId: device.id })
    result.catch(() => {})
    this.#granted = { grant: id, kid: grant.kid, result }
  }

  /** Unlocks each keyring once; a failure (wrong passphrase) is remembered too, not retried per block. */
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
