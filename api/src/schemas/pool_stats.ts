/**
 * Pool statistics: what an edge device read from a pool's API with a pool key it
 * decrypted locally, per key, in fixed units (TH/s, BTC). Figures only: never the
 * key, the secret or the pool account, which stay inside the key's block.
 */
import Type, { type Static } from 'typebox'
import { NO_CONTROL_CHARACTERS, Timestamp, Uuid } from './common.ts'

/** Reports per batch; the edge splits a round with more keys into several batches. */
export const MAX_REPORTS_PER_BATCH = 500
/** Length of an error message; the edge shortens longer ones. */
export const MAX_ERROR_MESSAGE = 300

const Count = Type.Union([Type.Integer({ minimum: 0, maximum: 10_000_000 }), Type.Null()])
const Hashrate = Type.Union([Type.Number({ minimum: 0, maximum: 1e12 }), Type.Null()])

/** One pool account's figures at one moment; null where the pool does not say. */
export const PoolStatsFigures = Type.Object(
  {
    hashrate_ths: Hashrate,
    hashrate_24h_ths: Hashrate,
    workers_online: Count,
    workers_offline: Count,
    balance_btc: Type.Union([Type.Number({ minimum: 0, maximum: 21_000_000 }), Type.Null()]),
    last_share_at: Type.Union([Timestamp, Type.Null()]),
  },
  { additionalProperties: false },
)

/**
 * Why a key gave no figures: its block did not open, its pool is not supported, the
 * server's pool label differs from the one sealed in the block (mismatch), the pool
 * refused or failed, or its answer held figures out of range (invalid).
 */
export const PoolStatsError = Type.Object(
  {
    kind: Type.Union([
      Type.Literal('decrypt'), Type.Literal('unsupported'), Type.Literal('auth'), Type.Literal('unreachable'),
      Type.Literal('timeout'), Type.Literal('rate_limited'), Type.Literal('server'), Type.Literal('invalid'), Type.Literal('mismatch'),
    ]),
    message: Type.String({ minLength: 1, maxLength: MAX_ERROR_MESSAGE, pattern: NO_CONTROL_CHARACTERS, description: 'text without control characters' }),
  },
  { additionalProperties: false },
)

/** One key's result: figures or an error, exactly one of them. */
export const PoolStatsReport = Type.Object(
  {
    pool_key_id: Uuid,
    taken_at: Timestamp,
    stats: Type.Union([PoolStatsFigures, Type.Null()]),
    error: Type.Union([PoolStatsError, Type.Null()]),
  },
  { additionalProperties: false },
)

export const PoolStatsBatch = Type.Object(
  {
    /** Chosen by the edge; a batch sent twice is stored once. */
    batch_id: Uuid,
    reports: Type.Array(PoolStatsReport, { minItems: 1, maxItems: MAX_REPORTS_PER_BATCH }),
  },
  { additionalProperties: false },
)
export const PoolStatsAck = Type.Object({ batch_id: Uuid, accepted: Type.Integer(), duplicate: Type.Boolean() })

/** A key's last report, as the owner's pool-key listing shows it. */
export const PoolKeyStatsView = Type.Object({
  taken_at: Timestamp,
  received_at: Timestamp,
  stats: Type.Union([PoolStatsFigures, Type.Null()]),
  error: Type.Union([PoolStatsError, Type.Null()]),
})

export type PoolStatsFigures = Static<typeof PoolStatsFigures>
export type PoolStatsError = Static<typeof PoolStatsError>
export type PoolStatsReport = Static<typeof PoolStatsReport>
export type PoolStatsBatch = Static<typeof PoolStatsBatch>
export type PoolStatsAck = Static<typeof PoolStatsAck>
export type PoolKeyStatsView = Static<typeof PoolKeyStatsView>
