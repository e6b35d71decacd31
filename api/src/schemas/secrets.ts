/**
 * The seed's secret routes (Plan A credentials, Plan B full connection): bodies
 * carry encrypted blocks only, validated by the shared block schema.
 */
import Type, { type Static } from 'typebox'
import { Block } from '../../../e2ee/schema.ts'
import { Uuid } from './common.ts'
import { MinerAddress, MinerPort } from './miners.ts'

/**
 * A stored block as responses describe it: one flat object rather than the v1/v2
 * union, so serialising a response needs no schema matching. Stored blocks were
 * validated strictly on the way in; unknown keys are still dropped on the way out.
 */
export const StoredBlock = Type.Object({
  ciphertext: Type.String(),
  iv: Type.String(),
  salt: Type.Optional(Type.String()),
  algo: Type.String(),
  version: Type.Integer(),
  kid: Type.Optional(Type.String()),
  counter: Type.Optional(Type.Integer()),
})
const NullableBlock = Type.Union([StoredBlock, Type.Null()])

export const CredentialsBody = Type.Object(
  { encrypted_credentials: Block },
  { additionalProperties: false },
)
export const CredentialsResponse = Type.Object({
  success: Type.Literal(true),
  miner_id: Uuid,
  encrypted_credentials: NullableBlock,
  message: Type.Optional(Type.String()),
})

/** Turning full E2EE on: the whole connection arrives as one block. */
export const EnableFullBody = Type.Object(
  { use_full_e2ee: Type.Literal(true), encrypted_connection_full: Block },
  { additionalProperties: false },
)
/**
 * Turning it off (owner/admin): the miner returns to Plan A, so the owner's device
 * sends the plaintext address back; the server kept none while full E2EE was on.
 */
export const DisableFullBody = Type.Object(
  {
    use_full_e2ee: Type.Literal(false),
    encrypted_connection_full: Type.Optional(Type.Null()),
    ip_address: MinerAddress,
    port: Type.Optional(MinerPort),
  },
  { additionalProperties: false },
)
/**
 * One of the two bodies, chosen by `use_full_e2ee` (if/then/else rather than anyOf,
 * so a mistake is reported against the body the caller meant to send).
 */
export const ConnectionFullBody = Type.Unsafe<Static<typeof EnableFullBody> | Static<typeof DisableFullBody>>({
  type: 'object',
  required: ['use_full_e2ee'],
  properties: { use_full_e2ee: { type: 'boolean' } },
  if: { properties: { use_full_e2ee: { const: true } } },
  then: EnableFullBody,
  else: DisableFullBody,
})

export const ConnectionFullResponse = Type.Object({
  success: Type.Literal(true),
  miner_id: Uuid,
  use_full_e2ee: Type.Boolean(),
  encrypted_connection_full: NullableBlock,
  message: Type.Optional(Type.String()),
})

export type CredentialsBody = Static<typeof CredentialsBody>
export type ConnectionFullBody = Static<typeof ConnectionFullBody>
