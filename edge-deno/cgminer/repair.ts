/**
 * Repairs the JSON that miners' cgminer APIs really send. Pure text work, no I/O.
 *
 * Quirks handled (all outside strings unless said): Antminer's `}{` between `stats`
 * items and `[,{`; Whatsminer v2's `,}` / `,]`, raw newlines and other control
 * characters inside strings, and replies cut off mid-list; Avalon's bare `inf` / `nan`
 * (become `null`); a trailing NUL and anything after it.
 */

/** The outcome of {@linkcode parseMinerJson}. */
export interface ParsedJson {
  value: unknown
  /** True when the text was not valid JSON and had to be repaired. */
  repaired: boolean
  /** True when the text ended before its last container closed (a truncated reply). */
  truncated: boolean
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const OPEN_OBJ = 0x7b
const CLOSE_OBJ = 0x7d
const OPEN_ARR = 0x5b
const CLOSE_ARR = 0x5d

function isWordStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

// Digits, '.', 'e'/'E' and signs: what can follow a number's first digit.
function isNumberChar(c: number): boolean {
  return isDigit(c) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f]/g
const found = (index: number) => (index === -1 ? Infinity : index)
function controlAt(s: string, from: number): number {
  CONTROL.lastIndex = from
  return CONTROL.exec(s)?.index ?? Infinity
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09
}

function escapeControl(c: number): string {
  if (c === 0x0a) return '\\n'
  if (c === 0x0d) return '\\r'
  if (c === 0x09) return '\\t'
  return '\\u' + c.toString(16).padStart(4, '0')
}

/**
 * Rewrites miner JSON text into valid JSON, closing a truncated reply at its last
 * complete member. Returns the text and whether it was cut short.
 * @example repairJson('{"STATS":[{"a":1}{"b":inf},]}').text // '{"STATS":[{"a":1},{"b":null}]}'
 */
export function repairJson(raw: string): { text: string; truncated: boolean } {
  const nul = raw.indexOf('\0')
  const s = (nul === -1 ? raw : raw.slice(0, nul)).trim()
  let out = ''
  let from = 0
  let inString = false
  let escaped = false
  let pendingComma = false
  let prev = 0 // last significant character outside strings
  let stack = '' // open containers, innermost last
  let safeAt = -1 // output length at the last point where closing the stack gives valid JSON
  let safeStack = ''
  // A string with no backslash or control character in it ends at the next quote:
  // indexOf finds it natively instead of this loop visiting each of its characters.
  // These are the next of each at or after the string being read (Infinity: none).
  let nextBackslash = -Infinity
  let nextControl = -Infinity

  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (inString) {
      if (escaped) escaped = false
      else if (c === BACKSLASH) escaped = true
      else if (c === QUOTE) inString = false
      else if (c < 0x20) {
        out += s.slice(from, i) + escapeControl(c)
        from = i + 1
      }
      continue
    }
    if (isSpace(c)) continue
    if (c === COMMA) {
      if (!pendingComma && prev !== OPEN_OBJ && prev !== OPEN_ARR) {
        safeAt = out.length + (i - from)
        safeStack = stack
      }
      out += s.slice(from, i)
      from = i + 1
      pendingComma = true
      continue
    }
    if (pendingComma) {
      // A comma is kept only between two values: `[,{` and `,}` drop it.
      const afterOpen = prev === OPEN_OBJ || prev === OPEN_ARR
      if (c !== CLOSE_OBJ && c !== CLOSE_ARR && !afterOpen) out += ','
      pendingComma = false
    } else if (c === OPEN_OBJ && prev === CLOSE_OBJ) {
      out += s.slice(from, i) + ','
      from = i
    }
    if (c === QUOTE) {
      prev = QUOTE
      if (nextBackslash < i) nextBackslash = found(s.indexOf('\\', i))
      if (nextControl < i) nextControl = controlAt(s, i)
      const end = s.indexOf('"', i + 1)
      if (end !== -1 && end < nextBackslash && end < nextControl) i = end
      else inString = true
    } else if (c === OPEN_OBJ || c === OPEN_ARR) {
      stack += c === OPEN_OBJ ? '}' : ']'
      prev = c
    } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      stack = stack.slice(0, -1)
      prev = c
      safeAt = out.length + (i + 1 - from)
      safeStack = stack
    } else if (isDigit(c) || (c === 0x2d && isDigit(s.charCodeAt(i + 1)))) {
      // A number, exponent included (S21's "Total MH": 1.2e+10): its letters are not bare words.
      let end = i + 1
      while (end < s.length && isNumberChar(s.charCodeAt(end))) end++
      i = end - 1
      prev = 0x30
    } else if (isWordStart(c) || (c === 0x2d && isWordStart(s.charCodeAt(i + 1)))) {
      let end = i + 1
      while (end < s.length && isWordStart(s.charCodeAt(end))) end++
      const word = s.slice(i, end)
      if (word !== 'true' && word !== 'false' && word !== 'null') {
        out += s.slice(from, i) + 'null'
        from = end
      }
      i = end - 1
      prev = 0x61
    } else {
      prev = c
    }
  }
  out += s.slice(from)
  if (!inString && stack === '') return { text: out, truncated: false }
  if (safeAt < 0) return { text: out, truncated: true }
  return { text: out.slice(0, safeAt) + [...safeStack].reverse().join(''), truncated: true }
}

// The quirks as they mostly come, with no spaces around them, and control characters
// (raw inside strings on Whatsminer, whitespace outside). `:info` and the like are
// not Avalon's inf: the full repair decides about those.
const QUIRK = /\}\{|\[,|,[}\]]|:-?(?:inf|nan)(?![\w])/g
// eslint-disable-next-line no-control-regex
const QUIRK_OR_CONTROL = /\}\{|\[,|,[}\]]|:-?(?:inf|nan)(?![\w])|[\x00-\x1f]/g
// eslint-disable-next-line no-control-regex
const HAS_CONTROL = /[\x00-\x1f]/
const QUOTES = /"/g

/**
 * `text` with its quirk markers (`}{`, `[,`, `,}`, `,]`, `:inf`, `:nan`, control
 * characters inside strings) fixed by splicing only where they stand.
 * Several times cheaper than {@linkcode repairJson}'s walk over every character, and
 * every simulated and most real dirty replies need no more.
 *
 * Only for text with no backslash: then each quote opens or closes a string, so the
 * parity of the quotes before a marker tells whether it is inside one. The splices
 * are a subset of the full repair's edits, so whenever their result parses it is
 * what the full repair would give.
 */
function spliceMarkers(text: string, firstQuirk: number): string {
  // The control class in the pattern slows every scan: use it only when there is one.
  const marker = HAS_CONTROL.test(text) ? QUIRK_OR_CONTROL : QUIRK
  // No quirk stands before the first one found; a control character may.
  marker.lastIndex = marker === QUIRK ? firstQuirk : 0
  let out = ''
  let from = 0
  let counted = 0
  let quotes = 0
  for (let match = marker.exec(text); match; match = marker.exec(text)) {
    const at = match.index
    // Regexes count natively; a charCodeAt loop or an indexOf per quote costs ten times more.
    quotes += text.slice(counted, at).match(QUOTES)?.length ?? 0
    counted = at
    const found = match[0]
    const code = found.charCodeAt(0)
    if (code < 0x20) {
      if (quotes % 2 === 1) {
        out += text.slice(from, at) + escapeControl(code)
        from = at + 1
      }
      continue
    }
    if (quotes % 2 === 1) continue
    if (found === '}{') {
      out += text.slice(from, at + 1) + ','
      from = at + 1
    } else if (found === '[,') {
      // `[,]` matches as `[,` and its comma is gone: the `,]` after it is not matched.
      out += text.slice(from, at + 1)
      from = at + 2
    } else if (code === COMMA) {
      if (at < from) continue
      out += text.slice(from, at)
      from = at + 1
    } else {
      out += text.slice(from, at + 1) + 'null'
      from = at + found.length
    }
  }
  return out + text.slice(from)
}

/**
 * Parses a miner's reply text, trying plain JSON first, then the quirks spliced
 * where they stand, then the full repair.
 * @throws {SyntaxError} "Cannot parse miner reply: <reason>" when even the repaired text is not JSON
 */
export function parseMinerJson(raw: string): ParsedJson {
  const nul = raw.indexOf('\0')
  const text = nul === -1 ? raw : raw.slice(0, nul)
  // Without a quirk marker, plain JSON is likely: a failing JSON.parse costs a third of a repair.
  QUIRK.lastIndex = 0
  const first = QUIRK.exec(text)
  if (!first) {
    try {
      return { value: JSON.parse(text), repaired: false, truncated: false }
    } catch {
      // fall through to the repairs
    }
  } else if (!text.includes('\\')) {
    try {
      return { value: JSON.parse(spliceMarkers(text, first.index)), repaired: true, truncated: false }
    } catch {
      // a quirk the splices do not cover (spaces around it, a cut-off reply)
    }
  }
  const fixed = repairJson(text)
  try {
    return { value: JSON.parse(fixed.text), repaired: true, truncated: fixed.truncated }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new SyntaxError(`Cannot parse miner reply: ${reason}`)
  }
}
