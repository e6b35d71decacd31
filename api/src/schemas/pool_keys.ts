/**
 * Pool API keys: a tenant's keys for mining-pool APIs, stored as v2 blocks of kind
 * `pool_api_key` (subject = the key's id). The label, pool, scopes and a fingerprint
 * the client computed are in clear; the key and its secret only inside the block.
 */
import Type, { type Static } from 'typebox'
import { BlockV2 } from '../../../e2ee/schema.ts'
import { DisplayName, Timestamp, Uuid } from './common.ts'
import { PoolKeyStatsView } from './pool_stats.ts'
import { StoredBlock } from './secrets.ts'

const Scope = Type.String({ pattern: '^[a-z][a-z0-9_:.-]{0,39}$', description: 'a scope name such as read or payouts:read' })
/** Computed on the owner's device from the key (never the key itself); shown to tell versions apart. */
const Fingerprint = Type.String({ pattern: '^[0-9A-Za-z][0-9A-Za-z:-]{6,62}[0-9A-Za-z]$', description: 'a fingerprint of 8-64 letters, digits, dashes or colons' })

export const CreatePoolKeyBody = Type.Object(
  {
    /** Chosen by the client, which binds it into the block's AAD before the server hears of it. */
    id: Uuid,
    label: DisplayName,
    pool: DisplayName,
    scopes: Type.Array(Scope, { maxItems: 20, uniqueItems: true }),
    fingerprint: Fingerprint,
    block: BlockV2,
  },
  { additionalProperties: false },
)
export const RotatePoolKeyBody = Type.Object(
  { fingerprint: Fingerprint, block: BlockV2, base_version: Type.Optional(Type.Integer({ minimum: 1 })) },
  { additionalProperties: false },
)

export const PoolKeyVersion = Type.Object({ version: Type.Integer(), fingerprint: Type.String(), block: StoredBlock, created_at: Timestamp, replaced_at: Timestamp })
export const PoolKeyView = Type.Object({
  id: Uuid,
  label: Type.String(),
  pool: Type.String(),
  scopes: Type.Array(Type.String()),
  fingerprint: Type.String(),
  version: Type.Integer(),
  block: StoredBlock,
  created_at: Timestamp,
  updated_at: Timestamp,
  /** Earlier versions, newest first (GET /api/pool-keys/:id only). */
  history: Type.Optional(Type.Array(PoolKeyVersion)),
  /** The edge's last statistics for this key, or null before any (GET /api/pool-keys and /:id). */
  last_stats: Type.Optional(Type.Union([PoolKeyStatsView, Type.Null()])),
})
export const PoolKeyListResponse = Type.Object({ pool_keys: Type.Array(PoolKeyView) })

export type CreatePoolKeyBody = Static<typeof CreatePoolKeyBody>
export type RotatePoolKeyBody = Static<typeof RotatePoolKeyBody>
export type PoolKeyView = Static<typeof PoolKeyView>
