/**
 * Reading values out of cgminer reply objects: rows of a section, numbers that
 * may arrive as strings ("37603.30", "3250 W"), and hashrates in any unit. Pure.
 */
import type { CommandReply } from './protocol.ts'

/** A reply row: one object of a `SUMMARY`, `POOLS`, `DEVS`, `STATS`, … list. */
export type Row = Record<string, unknown>

/** The commands' replies of one poll, by command name. */
export type Replies = ReadonlyMap<string, CommandReply>

/**
 * The rows of `section` in the reply to `command` (empty when absent or an error).
 * @example rows(replies, 'summary', 'SUMMARY')[0]['GHS 5s']
 */
export function rows(replies: Replies, command: string, section: string): Row[] {
  const list = replies.get(command)?.body[section]
  if (!Array.isArray(list)) return []
  // Called many times per poll: copy only when some entry is not a row.
  return list.every(isRow) ? list : list.filter(isRow)
}

function isRow(value: unknown): value is Row {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** A finite number from a number or a numeric string ("3250 W" gives 3250), else null. */
export function num(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value !== 'string') return null
  const n = parseFloat(value)
  return Number.isFinite(n) ? n : null
}

/** The first of `keys` present in `row` as a number. */
export function firstNum(row: Row | undefined, ...keys: string[]): number | null {
  if (!row) return null
  for (const key of keys) {
    const n = num(row[key])
    if (n !== null) return n
  }
  return null
}

/** A non-empty string value, else null. */
export function str(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null
}

/** TH/s per unit of each cgminer rate prefix (`MHS av` is MH/s, `GHS 5s` GH/s, …). */
export const TERAHASH_PER: Record<string, number> = { '': 1e-12, K: 1e-9, M: 1e-6, G: 1e-3, T: 1, P: 1e3 }

/**
 * A hashrate in TH/s from the first window found, whatever the unit prefix.
 * @example rateThs({'GHS 5s': 110566.89}, ['5s']) // 110.56689
 */
export function rateThs(row: Row | undefined, windows: readonly string[]): number | null {
  if (!row) return null
  for (const window of windows) {
    for (const [key, factor] of rateKeys(window)) {
      const n = num(row[key])
      if (n !== null) return n * factor
    }
  }
  return null
}

// Keys built once: a key made by a template per lookup is a new string V8 must hash
// each time, and this runs for every miner of every cycle.
const RATE_PREFIXES = ['G', 'M', 'T', 'K', 'P']
const rateKeysByWindow = new Map<string, [string, number][]>()
function rateKeys(window: string): [string, number][] {
  let keys = rateKeysByWindow.get(window)
  if (!keys) rateKeysByWindow.set(window, keys = RATE_PREFIXES.map((p) => [`${p}HS ${window}`, TERAHASH_PER[p]!]))
  return keys
}

/** Rounds to `digits` decimals so telemetry does not carry float noise. */
export function round(n: number | null, digits = 3): number | null {
  if (n === null) return null
  const f = 10 ** digits
  return Math.round(n * f) / f
}

// Numbered keys count hash boards and fans: up to 4 in the fixtures, so 0-31 leaves room.
const MAX_NUMBER = 31
const numberedKeys = new Map<string, string[]>()

/**
 * The values of every `<prefix><n>` key of `row` (n from 0 to 31) whose prefix is
 * asked for, each list in order of n: `temp2_3` is prefix `temp2_` and 3, `temp2`
 * is `temp` and 2. Looked up by name: a stats row has a hundred keys or more, and
 * walking them all cost more than the rest of the normalization.
 * @example numberedFields({fan1: 5400, fan2: 5460, temp1: 60}, ['fan', 'temp']) // {fan: [5400, 5460], temp: [60]}
 */
export function numberedFields<P extends string>(row: Row | undefined, prefixes: readonly P[]): Record<P, unknown[]> {
  const out = {} as Record<P, unknown[]>
  for (const p of prefixes) {
    let keys = numberedKeys.get(p)
    if (!keys) numberedKeys.set(p, keys = Array.from({ length: MAX_NUMBER + 1 }, (_, n) => `${p}${n}`))
    const values: unknown[] = []
    if (row) for (const key of keys) if (row[key] !== undefined) values.push(row[key])
    out[p] = values
  }
  return out
}

/** The finite numbers among `values` (numeric strings read as numbers). */
export function numbers(values: readonly unknown[]): number[] {
  const out: number[] = []
  for (const v of values) {
    const n = num(v)
    if (n !== null) out.push(n)
  }
  return out
}
