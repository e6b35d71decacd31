/**
 * Pool statistics beside the collector in `run`, at their own interval (default five
 * minutes: pools allow few requests per address): fetch the tenant's pool keys, open
 * them with the data key (this device's grant, or the keyring and passphrase), read
 * each pool's API, and send one batch of reports to the API. A batch the API cannot
 * take now waits for the next round (a few at most, each stored once by its id); a pool
 * or key that fails is one report, never a stop. Only a revoked device ends the loop.
 */
import type { CryptoKeyHandle } from '../../e2ee/mod.ts'
import { ApiClient, ApiError, type PoolStatsBatch } from '../api_client.ts'
import { BlockOpener } from '../block_opener.ts'
import { sleep } from '../delivery.ts'
import { type DeviceState, openRollbackGuard } from '../state.ts'
import { collectPoolStats } from './collect.ts'
import type { PoolBases } from './registry.ts'

export const POOL_INTERVAL_MS = 300_000
/** Rounds kept while the API is unreachable; the oldest goes first past this. */
const MAX_PENDING = 12

export interface PoolStatsOptions {
  device: DeviceState
  stateDir: string
  apiUrl?: string
  passphrase?: string
  /** The device's ECDH private key: with the owner's grant no passphrase is needed. */
  devicePrivateKey?: CryptoKeyHandle
  /** Time between round starts, ms (default five minutes). */
  intervalMs?: number
  /** Base URL overrides per pool (default: the real pool hosts). */
  bases?: PoolBases
  /** Deadline per pool request, ms (default 10 000). */
  timeoutMs?: number
  apiTimeoutMs?: number
  /** Wait each pool's documented gap between requests (default true). */
  paced?: boolean
  /** Stop after this many rounds (tests); default: until `signal` aborts. */
  rounds?: number
  signal: AbortSignal
  log: (line: string) => void
}

/** Runs rounds until `signal` aborts or the API revokes the device; never rejects. */
export async function runPoolStats(options: PoolStatsOptions): Promise<void> {
  const { device, signal, log, intervalMs = POOL_INTERVAL_MS } = options
  const api = new ApiClient({ baseUrl: options.apiUrl ?? device.api_url, token: device.token, timeoutMs: options.apiTimeoutMs, signal })
  const pending: PoolStatsBatch[] = []
  let opener: BlockOpener | undefined
  for (let round = 1; !signal.aborted && round <= (options.rounds ?? Infinity); round++) {
    const started = Date.now()
    try {
      opener ??= new BlockOpener({
        tenantId: device.tenant_id, passphrase: options.passphrase, guard: await openRollbackGuard(options.stateDir, 'pool_rollback.json'),
        device: options.devicePrivateKey ? { id: device.device_id, privateKey: options.devicePrivateKey } : undefined,
      })
      const { pool_keys: keys } = await api.poolKeys()
      if (keys.length > 0) {
        const [{ keyring }, { grant }] = await Promise.all([api.keyring(), options.devicePrivateKey ? api.grant() : { grant: null }])
        opener.newRound(grant)
        const reports = await collectPoolStats(keys, { opener, keyring, bases: options.bases, timeoutMs: options.timeoutMs, paced: options.paced, signal })
        if (signal.aborted) break
        const labels = new Map(keys.map((k) => [k.id, k.label]))
        const failed = reports.filter((r) => r.error)
        log(`Pool statistics: ${reports.length - failed.length}/${reports.length} keys read` +
          failed.map((r) => `; ${labels.get(r.pool_key_id)}: ${r.error!.message}`).join(''))
        pending.push({ batch_id: crypto.randomUUID(), reports })
        if (pending.length > MAX_PENDING) log(`Pool statistics: dropped the oldest unsent round (${pending.splice(0, 1)[0].reports.length} reports)`)
      }
      while (pending.length > 0) {
        try {
          await api.sendPoolStats(pending[0])
        } catch (error) {
          if (!(error instanceof ApiError) || error.kind !== 'rejected') throw error
          log(`Pool statistics: the API refused a round, dropped: ${error.message}`)
        }
        pending.shift()
      }
    } catch (error) {
      if (error instanceof ApiError && error.kind === 'revoked') {
        log(`Pool statistics stopped: ${error.message}`)
        return
      }
      if (signal.aborted) break
      const waiting = pending.length ? ` (${pending.length} round(s) waiting)` : ''
      log(`Pool statistics: ${error instanceof Error ? error.message : String(error)}; trying again next round${waiting}`)
    }
    if (round < (options.rounds ?? Infinity)) await sleep(started + intervalMs - Date.now(), signal)
  }
}
