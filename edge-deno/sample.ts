/**
 * MinerTelemetry → the API's TelemetrySample. Pure, no I/O.
 *
 * A sample names its miner by id and carries no address and no pool account: in
 * full-E2EE mode those are secrets, and the edge sends the same shape for every
 * miner. Readings outside the API schema's ranges become null (or are left out of
 * lists) so one odd miner cannot get its whole site's batch refused.
 */
import type { TelemetrySample } from '../api/src/schemas/edge.ts'
import type { MinerTelemetry } from './telemetry.ts'

export type { TelemetrySample }

/** The error kinds the API accepts: the miner's own, plus the edge's decrypt and config. */
export type SampleErrorKind = NonNullable<TelemetrySample['error']>['kind']

// The check in api/src/routes/edge.ts refuses a batch whose error message matches
// its pattern (anything shaped like an IPv4 or IPv6 address); this is that pattern
// plus an optional port, so no stray ':4028' is left behind.
const ADDRESS = /\b\d{1,3}(?:\.\d{1,3}){3}\b(?::\d+)?|\[?[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}\]?(?::\d+)?/gi
const MAX_MESSAGE = 300
const MAX_WARNING = 200

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * Removes `address` (as `host:port`, `[v6]:port` or bare host) and anything shaped
 * like an IP address from `text`, and bounds its length.
 * @example scrubAddress('Cannot connect to 127.1.0.5:4028: connection refused', '127.1.0.5:4028')
 * // 'Cannot connect to the miner: connection refused'
 */
export function scrubAddress(text: string, address?: string, maxLength = MAX_MESSAGE): string {
  let out = text
  if (address) {
    const host = address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1')
    const forms = [address, `[${host}]`, host].filter((f) => f.length > 0).map(escapeRegExp)
    out = out.replace(new RegExp(`(?:${forms.join('|')})(?::\\d+)?(?![\\w-])`, 'gi'), 'the miner')
  }
  out = out.replace(ADDRESS, '<address>')
  return out.length > maxLength ? out.slice(0, maxLength - 1) + '…' : out
}

function reading(value: number | null, min: number, max: number): number | null {
  return value !== null && Number.isFinite(value) && value >= min && value <= max ? value : null
}

function count(value: number | null): number | null {
  if (value === null || !Number.isFinite(value) || value < 0) return null
  return Math.min(Math.round(value), Number.MAX_SAFE_INTEGER)
}

function list(values: number[], min: number, max: number, maxItems: number, integer = false): number[] {
  return values.filter((v) => Number.isFinite(v) && v >= min && v <= max).slice(0, maxItems).map((v) => (integer ? Math.round(v) : v))
}

function text(value: string | null, maxLength: number): string | null {
  return value === null ? null : value.slice(0, maxLength)
}

/**
 * The sample for one poll of miner `minerId`. Error kinds are the MinerError kinds
 * as they are; the message loses the address.
 * @example toSample('6f1c…', telemetry).miner_id // '6f1c…'
 */
export function toSample(minerId: string, t: MinerTelemetry): TelemetrySample {
  return {
    miner_id: minerId,
    at: new Date(t.polledAt).toISOString(),
    online: t.online,
    error: t.online ? null : { kind: t.errorKind ?? 'unreachable', message: scrubAddress(t.error ?? 'Cannot poll miner: no reply', t.address) },
    hashrate_ths: reading(t.hashrateThs, 0, 1_000_000),
    hashrate_avg_ths: reading(t.hashrateAvgThs, 0, 1_000_000),
    accepted_shares: count(t.acceptedShares),
    rejected_shares: count(t.rejectedShares),
    stale_shares: count(t.staleShares),
    hardware_errors: count(t.hardwareErrors),
    chip_temps_c: list(t.chipTempsC, -100, 300, 32),
    board_temps_c: list(t.boardTempsC, -100, 300, 32),
    ambient_c: reading(t.ambientC, -100, 300),
    fans_rpm: list(t.fansRpm, 0, 100_000, 16, true),
    power_w: reading(t.powerW, 0, 1_000_000),
    uptime_s: count(t.uptimeS),
    model: text(t.model, 80),
    firmware: text(t.firmware, 120),
    pool_status: text(t.pool?.status ?? null, 40),
    warnings: t.warnings.slice(0, 20).map((w) => scrubAddress(w, t.address, MAX_WARNING)),
  }
}

/**
 * The sample of a miner the edge could not poll at all (its block did not decrypt,
 * or it has no address): offline, with `kind` and a message that holds no secret.
 */
export function unpolledSample(minerId: string, at: number, kind: SampleErrorKind, message: string): TelemetrySample {
  return {
    miner_id: minerId, at: new Date(at).toISOString(), online: false, error: { kind, message: scrubAddress(message) },
    hashrate_ths: null, hashrate_avg_ths: null, accepted_shares: null, rejected_shares: null, stale_shares: null,
    hardware_errors: null, chip_temps_c: [], board_temps_c: [], ambient_c: null, fans_rpm: [], power_w: null,
    uptime_s: null, model: null, firmware: null, pool_status: null, warnings: [],
  }
}
