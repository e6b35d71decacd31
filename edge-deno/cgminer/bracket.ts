/**
 * Avalon's bracket-packed strings: `estats` puts a whole miner into one string,
 * `"MM ID0": "Ver[15-194-...] Temp[31] MGHS[59459.52 61407.83 63139.66] ..."`, and
 * newer firmware wraps it as `'STATS':{...}` or `'HB0':{...}`. Pure.
 */

/**
 * Splits a bracket-packed string into its fields (values as written).
 * @example parseBracketFields('Temp[31] MGHS[1.5 2] Nonce Mask[25]') // {Temp: '31', MGHS: '1.5 2', 'Nonce Mask': '25'}
 */
export function parseBracketFields(text: string): Record<string, string> {
  let body = text.trim()
  // A regex anchored only at the end (/\}$/) tries every position of a string of kilobytes.
  if (body.startsWith("'")) body = body.replace(/^'[^']*':\{/, '')
  if (body.endsWith('}')) body = body.slice(0, -1)
  const fields: Record<string, string> = {}
  let at = 0
  while (at < body.length) {
    const open = body.indexOf('[', at)
    if (open === -1) break
    const close = body.indexOf(']', open)
    if (close === -1) break
    const key = body.slice(at, open).trim()
    if (key) fields[key] = body.slice(open + 1, close).trim()
    at = close + 1
  }
  return fields
}

/**
 * The numbers of a field, e.g. `'59459.52 61407.83'` to `[59459.52, 61407.83]`;
 * `'49%'` gives `[49]`; words are dropped.
 */
export function bracketNumbers(value: string | undefined): number[] {
  if (!value) return []
  return value.split(/\s+/).map((part) => parseFloat(part)).filter((n) => Number.isFinite(n))
}

/**
 * Every bracket-packed field of an Avalon `stats`/`estats` row, merged: `MM ID0`,
 * `MM ID1`, …, `MM ID0:Summary`, `HBinfo`. Later modules do not overwrite earlier ones.
 * The result is shared by every reader of the row: read it, do not change it.
 */
export function avalonFields(row: Record<string, unknown>): Record<string, string> {
  const cached = parsedRows.get(row)
  if (cached) return cached
  const merged = mergeModules(row)
  parsedRows.set(row, merged)
  return merged
}

// Identifying and normalizing one poll both read the same row's kilobytes of packed
// text: parse it once. Rows are fresh objects per poll, so entries go with them.
const parsedRows = new WeakMap<Record<string, unknown>, Record<string, string>>()

function mergeModules(row: Record<string, unknown>): Record<string, string> {
  // The first module's fields are taken as they are (usually the only one); copying them cost more than parsing.
  let merged: Record<string, string> | undefined
  for (const key in row) {
    const value = row[key]
    if (typeof value !== 'string' || !(key.startsWith('MM ID') || key === 'HBinfo')) continue
    const fields = parseBracketFields(value)
    if (!merged) {
      merged = fields
      continue
    }
    for (const field in fields) if (!(field in merged)) merged[field] = fields[field]!
  }
  return merged ?? {}
}
