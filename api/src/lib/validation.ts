/**
 * Request validation: one strict Ajv for bodies (no coercion, unknown keys refused,
 * nothing removed silently) and one for params/querystrings (strings coerced to the
 * declared types), with messages a person can act on.
 */
import Ajv, { type ErrorObject } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'
import { PLAINTEXT_SECRET_FIELDS } from '../../../e2ee/schema.ts'
import { BadInput } from '../errors.ts'

function ajv(coerce: boolean): Ajv {
  const instance = new Ajv({
    coerceTypes: coerce,
    removeAdditional: false,
    useDefaults: true,
    allErrors: false,
    verbose: true,
    strict: false,
  })
  addFormats(instance)
  return instance
}

const strict = ajv(false)
const coercing = ajv(true)

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? strict : coercing).compile(schema as object)

function describe(error: ErrorObject, dataVar: string): string {
  const at = `${dataVar}${error.instancePath}`
  switch (error.keyword) {
    case 'additionalProperties':
      return `${at} has an unknown field '${String(error.params.additionalProperty)}'`
    case 'required':
      return `${at} is missing the field '${String(error.params.missingProperty)}'`
    case 'pattern': {
      const description = (error.parentSchema as { description?: string } | undefined)?.description
      return description ? `${at} must be ${description}` : `${at} has an invalid format`
    }
    case 'const':
      return `${at} must be ${JSON.stringify(error.params.allowedValue)}`
    default:
      return `${at} ${error.message ?? 'is invalid'}`
  }
}

/** Fastify's schemaErrorFormatter: keeps the errors that say what to fix. */
export function schemaErrorFormatter(errors: ErrorObject[], dataVar: string): Error {
  const useful = errors.filter((e) => !['if', 'anyOf', 'oneOf'].includes(e.keyword))
  const shown = (useful.length ? useful : errors).slice(0, 3).map((e) => describe(e, dataVar))
  return new Error(shown.join('; '))
}

const FORBIDDEN = new Set<string>(PLAINTEXT_SECRET_FIELDS)

/** Finds a plaintext secret field anywhere in a body, except the ones `allowed` at the top. */
export function findPlaintextField(body: unknown, allowed: readonly string[] = [], depth = 0): string | null {
  if (!body || typeof body !== 'object' || depth > 8) return null
  for (const [key, value] of Object.entries(body)) {
    if (FORBIDDEN.has(key) && !(depth === 0 && allowed.includes(key))) return key
    const nested = findPlaintextField(value, [], depth + 1)
    if (nested) return nested
  }
  return null
}

/**
 * Refuses a body that carries a secret in plaintext, before it is validated or stored.
 * @param action what the route does, for the message ("store credentials")
 */
export function refusePlaintext(body: unknown, action: string, allowed: readonly string[] = []): void {
  const field = findPlaintextField(body, allowed)
  if (field) {
    throw new BadInput(action, `the plaintext field '${field}' is not accepted here; encrypt it on your device and send the encrypted block`)
  }
}
