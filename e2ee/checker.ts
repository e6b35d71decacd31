/**
 * A fast yes/no check of a value against one of our JSON schemas, built once per
 * schema from closures (no eval, so it runs under the PWA's CSP). typebox's
 * `Value.Check` walks the schema on every call and costs ~20 µs a block, which
 * alone would eat the v2 budget of 10 000 blocks in 500 ms; this costs ~1 µs.
 *
 * It is only a fast path: validate.ts asks typebox whenever this says no, so typebox
 * stays the authority on errors, and a property test holds both to the same answers.
 * It knows only the keywords our schemas use and refuses to build for any other, so
 * a new keyword in schema.ts cannot be silently ignored.
 */

/** A compiled check: true when the value matches the schema. */
export type Checker = (value: unknown) => boolean

type Schema = Record<string, unknown>

// Annotations carry no constraint; every other keyword must be handled below.
const ANNOTATIONS = new Set(['$id', 'title', 'description', '$schema'])
const HANDLED = new Set(['type', 'const', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'properties', 'required', 'additionalProperties', 'anyOf'])

const TYPES: Record<string, Checker> = {
  object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  string: (v) => typeof v === 'string',
  number: (v) => Number.isFinite(v),
  integer: (v) => Number.isInteger(v),
}

// JSON Schema counts string length in code points, not UTF-16 units.
const codePoints = (s: string) => (/[\uD800-\uDFFF]/.test(s) ? [...s].length : s.length)

/**
 * Builds the check for `schema`.
 * @throws TypeError when the schema uses a keyword or type this checker does not know
 */
export function compileChecker(schema: Schema): Checker {
  for (const key of Object.keys(schema)) {
    if (!HANDLED.has(key) && !ANNOTATIONS.has(key)) throw new TypeError(`Cannot compile schema check: unsupported keyword ${key}`)
  }
  const checks: Checker[] = []
  if (schema.type !== undefined) {
    const type = TYPES[String(schema.type)]
    if (!type) throw new TypeError(`Cannot compile schema check: unsupported type ${String(schema.type)}`)
    checks.push(type)
  }
  if ('const' in schema) {
    const expected = schema.const
    if (typeof expected === 'object' && expected !== null) throw new TypeError('Cannot compile schema check: object const')
    checks.push((v) => v === expected)
  }
  const { pattern, minLength, maxLength, minimum, maximum } = schema as Record<string, number | string | undefined>
  if (typeof pattern === 'string') {
    const regexp = new RegExp(pattern, 'u') // typebox compiles patterns with the 'u' flag too
    checks.push((v) => typeof v !== 'string' || regexp.test(v))
  }
  if (minLength !== undefined) checks.push((v) => typeof v !== 'string' || codePoints(v) >= Number(minLength))
  if (maxLength !== undefined) checks.push((v) => typeof v !== 'string' || codePoints(v) <= Number(maxLength))
  if (minimum !== undefined) checks.push((v) => typeof v !== 'number' || v >= Number(minimum))
  if (maximum !== undefined) checks.push((v) => typeof v !== 'number' || v <= Number(maximum))
  if (schema.properties !== undefined) checks.push(objectChecker(schema))
  if (Array.isArray(schema.anyOf)) {
    const options = schema.anyOf.map((option) => compileChecker(option as Schema))
    checks.push((v) => options.some((check) => check(v)))
  }
  return (value) => checks.every((check) => check(value))
}

function objectChecker(schema: Schema): Checker {
  const properties = Object.entries(schema.properties as Record<string, Schema>).map(([key, sub]) => [key, compileChecker(sub)] as const)
  const known = new Set(properties.map(([key]) => key))
  const required = (schema.required ?? []) as string[]
  const closed = schema.additionalProperties === false
  if (schema.additionalProperties !== undefined && !closed) throw new TypeError('Cannot compile schema check: only additionalProperties false')
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return true
    const object = value as Record<string, unknown>
    if (!required.every((key) => key in object)) return false
    if (closed && !Object.getOwnPropertyNames(object).every((key) => known.has(key))) return false
    return properties.every(([key, check]) => !(key in object) || check(object[key]))
  }
}
