import Type, { type Static } from 'typebox'
import { DisplayName, Timestamp, Uuid } from './common.ts'

/** An IPv4 or IPv6 address or a host name (Plan A keeps it in plaintext). */
export const MinerAddress = Type.String({
  minLength: 1,
  maxLength: 253,
  pattern: '^(?:[0-9]{1,3}(?:\\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*)$',
})
export const MinerPort = Type.Integer({ minimum: 1, maximum: 65535 })

/** Plan A creation. A full-E2EE miner is created here too, then its address moves into a block. */
export const CreateMinerBody = Type.Object(
  {
    name: DisplayName,
    ip_address: MinerAddress,
    port: Type.Optional(MinerPort),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })),
  },
  { additionalProperties: false },
)

/** Changing what the server may see of a miner; the address only while it is in Plan A. */
export const UpdateMinerBody = Type.Object(
  {
    name: Type.Optional(DisplayName),
    model: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 120 }), Type.Null()])),
    ip_address: Type.Optional(MinerAddress),
    port: Type.Optional(MinerPort),
    /** Optimistic concurrency: refuse (409) if the miner moved past this revision. */
    base_revision: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false, minProperties: 1 },
)

/** Miner metadata: what the server may see. Blocks are fetched from the secret routes. */
export const MinerResponse = Type.Object({
  id: Uuid,
  site_id: Uuid,
  name: Type.String(),
  model: Type.Union([Type.String(), Type.Null()]),
  ip_address: Type.Union([Type.String(), Type.Null()]),
  port: Type.Union([Type.Integer(), Type.Null()]),
  use_full_e2ee: Type.Boolean(),
  has_credentials: Type.Boolean(),
  revision: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
})
export const MinerListResponse = Type.Object({ miners: Type.Array(MinerResponse) })

export type CreateMinerBody = Static<typeof CreateMinerBody>
export type UpdateMinerBody = Static<typeof UpdateMinerBody>
export type MinerResponse = Static<typeof MinerResponse>
