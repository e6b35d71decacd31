/**
 * Response serialization: fast-json-stringify, as Fastify's default, given the
 * response schemas rewritten so that it never needs a validator.
 *
 * fast-json-stringify prints an `anyOf` by running an Ajv validator for each branch,
 * compiled when the branch is first used: the first response of a route paid
 * 17–70 ms for it (a thousand-miner command's POST, 47 ms), on the request path of
 * whoever came first after a start. Two shapes cover every union our responses use,
 * and each prints the same without one:
 * - a union of string literals is a string `enum` (only requests need the check);
 * - `X | null`, X of one plain type, is X with the type list `[X, "null"]`.
 * Request validation keeps the schemas as written, with their messages.
 */
import fastJsonStringify from 'fast-json-stringify'
import type { FastifySerializerCompiler } from 'fastify'

type Schema = Record<string, unknown>

const isSchema = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value)

function literalUnion(branches: Schema[]): string[] | null {
  const values = branches.map((b) => (typeof b.const === 'string' && Object.keys(b).every((k) => k === 'const' || k === 'type') ? b.const : null))
  return values.every((v) => v !== null) ? values as string[] : null
}

function nullableOf(branches: Schema[]): Schema | null {
  if (branches.length !== 2) return null
  const [other, more] = branches.filter((b) => !(b.type === 'null' && Object.keys(b).length === 1))
  return other && !more && typeof other.type === 'string' && other.anyOf === undefined ? other : null
}

/** `schema` with the unions above rewritten, at any depth; other keys kept as they are. */
export function forSerializer(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(forSerializer)
  if (!isSchema(schema)) return schema
  const out: Schema = {}
  for (const [key, value] of Object.entries(schema)) out[key] = forSerializer(value)
  const branches = Array.isArray(out.anyOf) && out.anyOf.every(isSchema) ? out.anyOf as Schema[] : null
  if (!branches) return out
  const { anyOf: _, ...rest } = out
  const values = literalUnion(branches)
  if (values) return { ...rest, type: 'string', enum: values }
  const other = nullableOf(branches)
  if (other) return { ...rest, ...other, type: [other.type, 'null'] }
  return out
}

export const serializerCompiler: FastifySerializerCompiler<unknown> = ({ schema }) =>
  fastJsonStringify(forSerializer(schema) as Parameters<typeof fastJsonStringify>[0])
