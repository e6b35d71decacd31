/**
 * Pool statistics beside the collector in `run`, at their own interval (default five
 * minutes: pools allow few requests per address): fetch the tenant's pool keys, open
 * them with the data key (this device's grant, or the keyring and passphrase), read
 * each pool's API, check each report against the API's schema (a bad one becomes that
 * key's error), and spool the round on disk in batches the API takes before sending
 * them oldest first. Rounds the API cannot take now wait in `<state-dir>/pool_spool`,
 * through restarts, within the spool's bounds; a pool or key that fails is one report,
 * never a stop. Only a revoked device ends the loop.
 */
import type { CryptoKeyHandle } from '../../e2ee/mod.ts'
import { ApiClient, ApiError } from '../api_client.ts'
import { BlockOpener } from '../block_opener.ts'
import { flushSpool, sleep } from '../delivery.ts'
import { Spool, type SpoolOptions } from '../spool.ts'
import { type DeviceState, openRollbackGuard } from '../state.ts'
import { collectPoolStats } from './collect.ts'
import { checkedReport, poolStatsBatches } from './report_check.ts'
import type { PoolBases } from './registry.ts'

export const POOL_INTERVAL_MS = 300_000
/** Batches kept while the API is unreachable: a week of rounds at the default interval; the oldest go first past this. */
export const POOL_SPOOL_BOUNDS: SpoolOptions = { maxBatches: 2016, maxBytes: 64 * 1024 * 1024 }

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
  /** Bounds of `<state-dir>/pool_spool` (default POOL_SPOOL_BOUNDS). */
  spool?: SpoolOptions
  /** Stop after this many rounds (tests); default: until `signal` aborts. */
  rounds?: number
  signal: AbortSignal
  log: (line: string) => void
}

/** Runs rounds until `signal` aborts or the API revokes the device; never rejects. */
export async function runPoolStats(options: PoolStatsOptions): Promise<void> {
  const { device, signal, log, intervalMs = POOL_INTERVAL_MS } = options
  const api = new ApiClient({ baseUrl: options.apiUrl ?? device.api_url, token: device.token, timeoutMs: options.apiTimeoutMs, signal })
  let spool: Spool | undefined
  let opener: BlockOpener | undefined
  for (let round = 1; !signal.aborted && round <= (options.rounds ?? Infinity); round++) {
    const started = Date.now()
    try {
      spool ??= await Spool.open(`${options.stateDir}/pool_spool`, options.spool ?? POOL_SPOOL_BOUNDS)
      opener ??= new BlockOpener({
        tenantId: device.tenant_id, passphrase: options.passphrase, guard: await openRollbackGuard(options.stateDir, 'pool_rollback.json'),
        device: options.devicePrivateKey ? { id: device.device_id, privateKey: options.devicePrivateKey } : undefined,
      })
      const { pool_keys: keys } = await api.poolKeys()
      if (keys.length > 0) {
        const [{ keyring }, { grant }] = await Promise.all([api.keyring(), options.devicePrivateKey ? api.grant() : { grant: null }])
        opener.newRound(grant)
        const collected = await collectPoolStats(keys, { opener, keyring, bases: options.bases, timeoutMs: options.timeoutMs, paced: options.paced, signal })
        const reports = collected.map(checkedReport).filter((r) => r !== null)
        const labels = new Map(keys.map((k) => [k.id, k.label]))
        const failed = reports.filter((r) => r.error)
        log(`Pool statistics: ${reports.length - failed.length}/${keys.length} keys read` +
          failed.map((r) => `; ${labels.get(r.pool_key_id)}: ${r.error!.message}`).join(''))
        // Spooled even when stopping mid-round: what was read is kept for the next run.
        for (const batch of poolStatsBatches(reports)) {
          const dropped = await spool.add(batch)
          if (dropped.batches > 0) log(`Pool statistics: the spool is full; dropped the ${dropped.batches} oldest unsent batches`)
        }
        if (signal.aborted) break
      }
      // The next round is the retry: pools are read every few minutes, so no quicker attempts here.
      await flushSpool({ spool, noun: 'pool statistics', send: (text) => api.sendPoolStats(text), log: (line) => log(`Pool statistics: ${line}`), retryDelaysMs: [], signal })
    } catch (error) {
      if (error instanceof ApiError && error.kind === 'revoked') {
        log(`Pool statistics stopped: ${error.message}`)
        return
      }
      if (signal.aborted) break
      const waiting = spool?.size ? ` (${spool.size} batches waiting in the spool)` : ''
      log(`Pool statistics: ${error instanceof Error ? error.message : String(error)}; trying again next round${waiting}`)
    }
    if (round < (options.rounds ?? Infinity)) await sleep(started + intervalMs - Date.now(), signal)
  }
}
