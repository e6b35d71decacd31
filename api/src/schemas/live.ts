import Type, { type Static } from 'typebox'
import { Timestamp, Uuid } from './common.ts'

const Num = Type.Union([Type.Number(), Type.Null()])

export const SiteTotals = Type.Object({
  miners: Type.Integer(),
  online: Type.Integer(),
  alerting: Type.Integer(),
  hashrate_ths: Type.Number(),
  power_w: Type.Number(),
})
export const LiveMiner = Type.Object({
  miner_id: Uuid,
  name: Type.String(),
  at: Type.Union([Timestamp, Type.Null()]),
  online: Type.Union([Type.Boolean(), Type.Null()]),
  hashrate_ths: Num,
  hashrate_avg_ths: Num,
  temp_chip_max_c: Num,
  power_w: Num,
  alerts: Type.Array(Type.String()),
})
export const SiteLiveResponse = Type.Object({ site_id: Uuid, totals: SiteTotals, miners: Type.Array(LiveMiner) })
export const FarmLiveResponse = Type.Object({
  totals: SiteTotals,
  sites: Type.Array(Type.Object({ site_id: Uuid, name: Type.String(), totals: SiteTotals })),
})

export const Alert = Type.Object({
  id: Type.String(),
  site_id: Uuid,
  miner_id: Uuid,
  type: Type.String(),
  value: Num,
  threshold: Num,
  raised_at: Timestamp,
  cleared_at: Type.Union([Timestamp, Type.Null()]),
})
export const AlertsQuery = Type.Object(
  { state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('all')])), site_id: Type.Optional(Uuid), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
  { additionalProperties: false },
)
export const AlertsResponse = Type.Object({ alerts: Type.Array(Alert) })

export const AlertSettings = Type.Object(
  {
    temp_limit_c: Type.Number({ minimum: 30, maximum: 130 }),
    hashrate_drop_share: Type.Number({ minimum: 0.01, maximum: 0.95 }),
    reject_rate_limit: Type.Number({ minimum: 0.001, maximum: 0.5 }),
  },
  { additionalProperties: false },
)

export const HistoryQuery = Type.Object(
  {
    range: Type.Union([Type.Literal('1h'), Type.Literal('24h'), Type.Literal('7d')]),
    site_id: Type.Optional(Uuid),
    miner_id: Type.Optional(Uuid),
  },
  { additionalProperties: false },
)
export const HistoryResponse = Type.Object({
  range: Type.String(),
  bucket_seconds: Type.Integer(),
  points: Type.Array(Type.Object({ t: Timestamp, hashrate_ths: Num, temp_chip_max_c: Num, power_w: Num, online: Type.Integer() })),
})

export type AlertSettings = Static<typeof AlertSettings>
