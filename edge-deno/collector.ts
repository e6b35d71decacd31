/**
 * The collector: fetch the site's miners, keyring and (for a device with a key pair)
 * its key grant, decrypt them locally, poll
 * every miner each interval, and deliver the samples through the spool. The miners
 * and keyring are fetched again every `refreshEvery` cycles, and after a cycle in
 * which a miner newly failed (its address or blocks may have changed).
 *
 * Nothing accumulates across cycles: each cycle's telemetry and samples are dropped
 * once spooled, and the spool and the rollback guard are bounded by their own limits
 * and by the number of miners.
 */
import { ApiClient, ApiError, type EdgeMinersResponse } from './api_client.ts'
import { Delivery, type FlushResult } from './delivery.ts'
import { PollThreads } from './poll_threads.ts'
import { pollLoop } from './poller.ts'
import type { MinerTelemetry } from './telemetry.ts'
import { toSample, type TelemetrySample, unpolledSample } from './sample.ts'
import { Spool } from './spool.ts'
import { type DeviceState, loadLastSync, openRollbackGuard, saveLastSync } from './state.ts'
import { MinerResolver, type Resolution } from './targets.ts'
import type { CryptoKeyHandle, DeviceKeyGrant, WrappedKeyring } from '../e2ee/mod.ts'

export interface CollectorOptions {
  stateDir: string
  device: DeviceState
  /** Overrides the enrolled API URL. */
  apiUrl?: string
  passphrase?: string
  /** The device's ECDH private key (state dir), to open the grant the owner made for it. */
  devicePrivateKey?: CryptoKeyHandle
  intervalMs?: number
  jitter?: number
  concurrency?: number
  /** Threads the miners are polled on (default 1; see `poll_threads.ts`). */
  pollThreads?: number
  timeoutMs?: number
  apiTimeoutMs?: number
  refreshEvery?: number
  spoolMaxBatches?: number
  spoolMaxBytes?: number
  /** Run one cycle, deliver (or spool) it, and return. */
  once?: boolean
  /** Waits between delivery attempts of one batch (default 0.5 s, 2 s, 5 s). */
  retryDelaysMs?: readonly number[]
  signal?: AbortSignal
  /** One line per event; default stderr with a timestamp. */
  log?: (line: string) => void
  /** Called with every new set of decrypted miners (the command runner acts on them). */
  onResolution?: (resolution: Resolution) => void
  /** Called after each cycle with each polled miner's id and telemetry (the runner learns vendors from it). */
  onPolled?: (ids: readonly string[], telemetry: readonly MinerTelemetry[]) => void
}

/** What a run did, for `--once` and for tests. */
export interface CollectorSummary {
  cycles: number
  lastFlush: FlushResult | undefined
  /** False when the miners could be fetched neither from the API nor from the last saved copy. */
  minersKnown: boolean
}

function stderrLog(line: string): void {
  console.error(`${new Date().toISOString()} ${line}`)
}

/** Groups unpolled miners by reason so a wrong passphrase is one line, not one per miner. */
function describeUnpolled(resolution: Resolution): string[] {
  const byReason = new Map<string, string[]>()
  for (const u of resolution.unpolled) byReason.set(u.message, [...(byReason.get(u.message) ?? []), u.name])
  return [...byReason].map(([message, names]) => {
    const list = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ')
    return `${names.length} miner(s) not polled (${list}): ${message}`
  })
}

/**
 * Runs until `signal` aborts (or one cycle with `once`).
 * @throws {ApiError} kind 'revoked' when the API refuses the device token
 */
export async function runCollector(options: CollectorOptions): Promise<CollectorSummary> {
  const log = options.log ?? stderrLog
  const outer = options.signal ?? new AbortController().signal
  const { stateDir, device } = options
  const guard = await openRollbackGuard(stateDir)
  const spool = await Spool.open(`${stateDir}/spool`, { maxBatches: options.spoolMaxBatches, maxBytes: options.spoolMaxBytes })
  const api = new ApiClient({ baseUrl: options.apiUrl ?? device.api_url, token: device.token, timeoutMs: options.apiTimeoutMs, signal: outer })
  const delivery = new Delivery({ api, spool, log, retryDelaysMs: options.retryDelaysMs, signal: outer })
  const deviceKey = options.devicePrivateKey ? { id: device.device_id, privateKey: options.devicePrivateKey } : undefined
  const resolver = new MinerResolver({ tenantId: device.tenant_id, passphrase: options.passphrase, guard, device: deviceKey })
  if (spool.size > 0) log(`${spool.size} telemetry batches waiting in the spool from an earlier run`)

  const summary: CollectorSummary = { cycles: 0, lastFlush: undefined, minersKnown: false }
  let resolution: Resolution = { targets: [], unpolled: [] }
  let reported = ''
  let synced = false
  let failedAtRefresh = new Set<string>()

  async function refresh(): Promise<void> {
    let miners: EdgeMinersResponse
    let keyring: WrappedKeyring | null
    let grant: DeviceKeyGrant | null | undefined = null
    try {
      ;[miners, { keyring }, { grant }] = await Promise.all([api.miners(), api.keyring(), deviceKey ? api.grant() : { grant: null }])
      await saveLastSync(stateDir, { miners, keyring, grant })
      synced = true
    } catch (error) {
      if (!(error instanceof ApiError) || !error.retryable) throw error
      log(`${error.message}; ${synced ? 'keeping the miners already known' : 'trying again next cycle'}`)
      if (synced) return
      const last = await loadLastSync(stateDir)
      if (!last) return
      log('Using the miners and keyring saved at the last successful fetch')
      ;({ miners, keyring, grant } = last)
    }
    summary.minersKnown = true
    resolution = await resolver.resolve(miners.miners, keyring, grant)
    options.onResolution?.(resolution)
    const report = describeUnpolled(resolution).join('\n')
    if (report && report !== reported) log(report)
    reported = report
  }

  const cycleStop = new AbortController()
  const signal = AbortSignal.any([outer, cycleStop.signal])
  let cycleTargets = resolution.targets
  let sinceRefresh = 0

  await refresh()
  using threads = new PollThreads(options.pollThreads ?? 1, log)
  await pollLoop(() => (cycleTargets = resolution.targets).map((t) => t.address), {
    cycle: (targets, pollOptions) => threads.cycle(targets, pollOptions),
    intervalMs: options.intervalMs,
    jitter: options.jitter,
    concurrency: options.concurrency,
    timeoutMs: options.timeoutMs,
    signal,
    onCycle: async (telemetry, elapsedMs) => {
      // Polls cut short by a stop are not the miners' fault; do not report them.
      if (outer.aborted) return
      const now = Date.now()
      options.onPolled?.(cycleTargets.map((t) => t.id), telemetry)
      const samples: TelemetrySample[] = telemetry.map((t, i) => toSample(cycleTargets[i].id, t))
      for (const u of resolution.unpolled) samples.push(unpolledSample(u.id, now, u.kind, u.message))
      if (samples.length > 0) await delivery.enqueue(samples)
      summary.lastFlush = await delivery.flush()
      summary.cycles++
      const online = telemetry.filter((t) => t.online).length
      const f = summary.lastFlush
      log(`Cycle ${summary.cycles}: ${online}/${telemetry.length} miners online in ${Math.round(elapsedMs)} ms, ${resolution.unpolled.length} not polled; ` +
        `batches sent ${f.sent}, duplicate ${f.duplicates}, refused ${f.refused}, waiting ${f.pending}`)
      if (options.once) return cycleStop.abort()
      const failed = new Set(telemetry.flatMap((t, i) => (t.online ? [] : [cycleTargets[i].id])))
      const newlyFailed = [...failed].some((id) => !failedAtRefresh.has(id))
      if (++sinceRefresh >= (options.refreshEvery ?? 10) || newlyFailed || !synced) {
        sinceRefresh = 0
        failedAtRefresh = failed
        await refresh()
      }
    },
  })
  return summary
}
