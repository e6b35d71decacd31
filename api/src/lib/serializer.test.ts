import { describe, expect, test } from 'vitest'
import Type from 'typebox'
import { CommandListResponse, CommandResponse, EdgeCommandsResponse } from '../schemas/commands.ts'
import { forSerializer, serializerCompiler } from './serializer.ts'

const compile = (schema: unknown) => serializerCompiler({ schema, method: 'GET', url: '/', httpStatus: '200' })
const hasAnyOf = (schema: unknown): boolean =>
  Array.isArray(schema) ? schema.some(hasAnyOf) : typeof schema === 'object' && schema !== null && ('anyOf' in schema || Object.values(schema).some(hasAnyOf))

describe('response serializers', () => {
  test('a union of string literals becomes a string enum, and X | null a type list', () => {
    expect(forSerializer(Type.Union([Type.Literal('ok'), Type.Literal('error')]))).toEqual({ type: 'string', enum: ['ok', 'error'] })
    expect(forSerializer(Type.Union([Type.String(), Type.Null()]))).toEqual({ type: ['string', 'null'] })
    expect(forSerializer(Type.Object({ r: Type.Union([Type.Object({ a: Type.Integer() }), Type.Null()]) })))
      .toEqual({ type: 'object', required: ['r'], properties: { r: { type: ['object', 'null'], required: ['a'], properties: { a: { type: 'integer' } } } } })
  })

  test('other unions are left for fast-json-stringify to choose between', () => {
    const mixed = Type.Union([Type.String(), Type.Integer()])
    expect(forSerializer(mixed)).toEqual({ anyOf: [{ type: 'string' }, { type: 'integer' }] })
    expect(forSerializer(Type.Union([Type.Literal('a'), Type.Literal(1)]))).toHaveProperty('anyOf')
  })

  test("the commands' responses need no validator, and print as JSON.stringify does", () => {
    for (const schema of [CommandResponse, CommandListResponse, EdgeCommandsResponse]) expect(hasAnyOf(forSerializer(schema))).toBe(false)
    const id = '0ab9755b-4586-4007-9440-b39850557ffd'
    const at = '2026-12-01T18:00:00.000Z'
    const base = { id, site_id: id, action: 'set_pools', miner_ids: [id, id], issued_by: id, issued_at: at, expires_at: at, counts: { ok: 1, error: 1, unsupported: 0, pending: 0 } }
    const views = [
      { ...base, status: 'done', refusal: null, results: [{ miner_id: id, status: 'ok', message: null, at }, { miner_id: id, status: 'error', message: 'Cannot set pools: "x"', at }] },
      { ...base, status: 'refused', refusal: { reason: 'replayed', message: 'seen before' }, results: [] },
    ]
    const serialize = compile(CommandResponse)
    for (const view of views) expect(JSON.parse(serialize(view))).toEqual(view)
  })
})
