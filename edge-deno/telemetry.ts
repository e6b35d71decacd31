/**
 * Normalized telemetry: one shape for every miner, whatever its firmware, in fixed
 * units. Built from the replies of one poll; pure, no I/O.
 */
import { avalonFields, bracketNumbers } from './cgminer/bracket.ts'
import { firstNum, numberedFields, numbers, type Replies, rateThs, round, type Row, rows, str } from './cgminer/fields.ts'
import { identifyMiner, type Vendor } from './cgminer/identify.ts'
import { describeStatus } from './cgminer/status.ts'
import type { MinerErrorKind } from './cgminer/client.ts'

/** The pool the miner is hashing on. */
export interface ActivePool {
  url: string
  user: string
  /** As the miner says: "Alive", "Dead", ("Deed" on some Antminers). */
  status: string
}

/** One miner at one moment. Missing values are null (or empty lists), never guessed. */
export interface MinerTelemetry {
  /** `host:port` polled. */
  address: string
  /** The miner answered this poll. */
  online: boolean
  /** Why the poll failed ("Cannot connect to …: connection refused"), null when online. */
  error: string | null
  /** Why, as a category callers can count; null when online. */
  errorKind: MinerErrorKind | null
  /** When the poll started, ms since the epoch. */
  polledAt: number
  /** How long the poll took, ms. */
  latencyMs: number
  vendor: Vendor
  model: string | null
  firmware: string | null
  /** Current hashrate (5 s or real-time window), TH/s. */
  hashrateThs: number | null
  /** Average hashrate since start, TH/s. */
  hashrateAvgThs: number | null
  acceptedShares: number | null
  rejectedShares: number | null
  staleShares: number | null
  hardwareErrors: number | null
  /** Hottest chip per hash board, °C. */
  chipTempsC: number[]
  /** Board (PCB) temperature per hash board, °C. */
  boardTempsC: number[]
  /** Intake / environment temperature, °C. */
  ambientC: number | null
  /** Fan speeds, rpm. */
  fansRpm: number[]
  pool: ActivePool | null
  /** Seconds the mining process has run. */
  uptimeS: number | null
  /** Power draw at the wall or PSU, W. */
  powerW: number | null
  /** Non-fatal statuses, e.g. "devs: No ASCs (E 10)", and repaired truncations. */
  warnings: string[]
}

/** What is known about a poll besides its replies. */
export interface PollMeta {
  address: string
  polledAt: number
  latencyMs: number
}

const EMPTY = {
  vendor: 'unknown' as Vendor, model: null, firmware: null, hashrateThs: null, hashrateAvgThs: null,
  acceptedShares: null, rejectedShares: null, staleShares: null, hardwareErrors: null, chipTempsC: [],
  boardTempsC: [], ambientC: null, fansRpm: [], pool: null, uptimeS: null, powerW: null, warnings: [],
}

/** The telemetry of a miner that did not answer. */
export function offlineTelemetry(meta: PollMeta, error: string, errorKind: MinerErrorKind = 'unreachable'): MinerTelemetry {
  return { ...meta, online: false, error, errorKind, ...EMPTY, chipTempsC: [], boardTempsC: [], fansRpm: [], warnings: [] }
}

function activePool(pools: Row[]): ActivePool | null {
  const byPriority = [...pools].sort((a, b) => (firstNum(a, 'Priority') ?? 0) - (firstNum(b, 'Priority') ?? 0))
  const pool = pools.find((p) => p['Stratum Active'] === true) ?? byPriority.find((p) => p.Status === 'Alive') ?? byPriority[0]
  if (!pool) return null
  return { url: str(pool.URL) ?? '', user: str(pool.User) ?? '', status: str(pool.Status) ?? '' }
}

// Hottest chip per board: `temp2_N` where the firmware has it, else the max of `temp_chipN`'s "60-62-65-63".
function chipMaxima(fields: Record<'temp2_' | 'temp_chip', unknown[]>): number[] {
  const direct = positives(numbers(fields.temp2_))
  if (direct.length > 0) return direct
  return positives(fields.temp_chip.map((v) => Math.max(...String(v).split('-').map(Number))))
}

function sum(list: Row[], key: string): number | null {
  const values = list.map((row) => firstNum(row, key)).filter((n) => n !== null)
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0)
}

function scaled(value: number | null | undefined, factor: number): number | null {
  return value === null || value === undefined ? null : value * factor
}

function positives(values: number[]): number[] {
  return values.filter((n) => n > 0)
}

/**
 * Normalizes one poll's replies (any of summary, pools, devs, stats, estats, version).
 * @example normalizeTelemetry(replies, {address: '127.1.0.1:4028', polledAt: Date.now(), latencyMs: 12})
 */
export function normalizeTelemetry(replies: Replies, meta: PollMeta): MinerTelemetry {
  const { vendor, model, firmware } = identifyMiner(replies)
  const summary = rows(replies, 'summary', 'SUMMARY')[0]
  const devs = rows(replies, 'devs', 'DEVS')
  const statsRows = rows(replies, 'stats', 'STATS')
  const chains = statsRows.find((row) => 'GHS 5s' in row || 'chain_rate1' in row || 'fan1' in row)
  const t: MinerTelemetry = { ...meta, online: true, error: null, errorKind: null, ...EMPTY, vendor, model, firmware, warnings: [] }

  t.hashrateThs = rateThs(summary, ['5s', '30s', '1m']) ?? rateThs(chains, ['5s'])
  t.hashrateAvgThs = rateThs(summary, ['av']) ?? rateThs(chains, ['av'])
  t.acceptedShares = firstNum(summary, 'Accepted')
  t.rejectedShares = firstNum(summary, 'Rejected') ?? sum(devs, 'Rejected')
  t.staleShares = firstNum(summary, 'Stale')
  t.hardwareErrors = firstNum(summary, 'Hardware Errors')
  t.uptimeS = firstNum(summary, 'Elapsed') ?? firstNum(chains, 'Elapsed')
  t.pool = activePool(rows(replies, 'pools', 'POOLS'))
  t.powerW = firstNum(summary, 'Power') ?? firstNum(chains, 'chain_power')
  const numbered = numberedFields(chains, ['temp2_', 'temp_chip', 'temp', 'fan'])
  t.chipTempsC = chipMaxima(numbered)
  t.boardTempsC = positives(numbers(numbered.temp))
  t.fansRpm = positives(numbers(numbered.fan))

  if (vendor === 'whatsminer') {
    // btminer reports every rate in MH/s; "HS RT" is the real-time one.
    t.hashrateThs = scaled(firstNum(summary, 'HS RT'), 1e-6) ?? t.hashrateThs
    t.chipTempsC = positives(devs.map((d) => firstNum(d, 'Chip Temp Max') ?? 0))
    t.ambientC = firstNum(summary, 'Env Temp')
    t.fansRpm = positives([firstNum(summary, 'Fan Speed In') ?? 0, firstNum(summary, 'Fan Speed Out') ?? 0])
  } else if (vendor === 'avalon') {
    const packed = [...rows(replies, 'estats', 'STATS'), ...statsRows].find((row) => Object.keys(row).some((k) => k.startsWith('MM ID')))
    const f = packed ? avalonFields(packed) : {}
    t.hashrateThs = scaled(bracketNumbers(f.GHSspd)[0], 1e-3) ?? t.hashrateThs
    t.hashrateAvgThs = scaled(bracketNumbers(f.GHSavg)[0], 1e-3) ?? t.hashrateAvgThs
    t.chipTempsC = bracketNumbers(f.MTmax)
    if (t.chipTempsC.length === 0 && f.TMax) t.chipTempsC = bracketNumbers(f.TMax)
    t.ambientC = bracketNumbers(f.Temp ?? f.ITemp)[0] ?? null
    t.fansRpm = Object.keys(f).filter((k) => /^Fan\d+$/.test(k)).map((k) => bracketNumbers(f[k])[0] ?? 0)
    t.powerW = bracketNumbers(f.WALLPOWER)[0] ?? bracketNumbers(f.PS).at(-1) ?? null
    t.uptimeS ??= bracketNumbers(f.Elapsed)[0] ?? null
  }
  if (t.boardTempsC.length === 0 && vendor !== 'avalon') t.boardTempsC = positives(devs.map((d) => firstNum(d, 'Temperature') ?? 0))

  for (const key of ['hashrateThs', 'hashrateAvgThs'] as const) t[key] = round(t[key])
  for (const reply of replies.values()) {
    if (reply.status && reply.status.status !== 'S' && reply.status.status !== 'I') {
      t.warnings.push(describeStatus(reply.command, reply.status))
    }
    if (reply.truncated) t.warnings.push(`${reply.command}: reply was truncated`)
  }
  return t
}
