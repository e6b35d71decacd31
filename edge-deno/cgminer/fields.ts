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
  return list.filter((row): row is Row => row !== null && typeof row === 'object' && !Array.isArray(row))
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
    for (const prefix of ['G', 'M', 'T', 'K', 'P']) {
      const n = num(row[`${prefix}HS ${window}`])
      if (n !== null) return n * TERAHASH_PER[prefix]
    }
  }
  return null
}

/** Rounds to `digits` decimals so telemetry does not carry float noise. */
export function round(n: number | null, digits = 3): number | null {
  if (n === null) return null
  const f = 10 ** digits
  return Math.round(n * f) / f
}

/** The numbers of `row[key]` for keys matching `pattern`, in key order of the capture. */
export function numberedValues(row: Row | undefined, pattern: RegExp): number[] {
  if (!row) return []
  const found: [number, number][] = []
  for (const [key, value] of Object.entries(row)) {
    const match = pattern.exec(key)
    const n = num(value)
    if (match && n !== null) found.push([Number(match[1]), n])
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, n]) => n)
}
