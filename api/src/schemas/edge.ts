/**
 * Edge devices and what they exchange with the API. Telemetry carries miner ids,
 * never addresses or pool accounts: in full-E2EE mode those are secrets, and the
 * edge sends the same shape for every miner.
 */
import Type, { type Static } from 'typebox'
import { DisplayName, Timestamp, Uuid } from './common.ts'
import { MinerAddress, MinerPort } from './miners.ts'
import { DeviceKeyGrant, DevicePublicKey, Kid, Block as EncryptedBlock } from '../../../e2ee/schema.ts'

export const CreateDeviceBody = Type.Object({ name: DisplayName }, { additionalProperties: false })
export const DeviceResponse = Type.Object({
  id: Uuid,
  site_id: Uuid,
  name: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('active'), Type.Literal('revoked')]),
  created_at: Timestamp,
  enrolled_at: Type.Union([Timestamp, Type.Null()]),
  revoked_at: Type.Union([Timestamp, Type.Null()]),
  last_seen_at: Type.Union([Timestamp, Type.Null()]),
  /** The device's ECDH public key, for the owner's device to grant the data key to. */
  public_key: Type.Union([DevicePublicKey, Type.Null()]),
  /** The server's label for the key; the owner's device recomputes it before granting. */
  fingerprint: Type.Union([Type.String(), Type.Null()]),
  /** The keyring id the device holds a grant for, if any. */
  granted_kid: Type.Union([Kid, Type.Null()]),
  granted_at: Type.Union([Timestamp, Type.Null()]),
})
export const CreatedDeviceResponse = Type.Object({
  device: DeviceResponse,
  /** Shown once; type it into `hashinsight-edge enroll <code>` on the farm. */
  enrollment_code: Type.String(),
  expires_at: Timestamp,
})
export const DeviceListResponse = Type.Object({ devices: Type.Array(DeviceResponse) })

/** Codes are shown as XXXXX-XXXXX (Crockford base32); spaces, dashes and case are forgiven. */
export const EnrollBody = Type.Object(
  {
    code: Type.String({ minLength: 10, maxLength: 16, pattern: '^[0-9A-Za-z -]+$' }),
    /** The device's ECDH P-256 public key; without it the device needs the passphrase. */
    public_key: Type.Optional(DevicePublicKey),
  },
  { additionalProperties: false },
)
export const EnrollResponse = Type.Object({
  device_id: Uuid,
  tenant_id: Uuid,
  site_id: Uuid,
  /** The device's credential for /api/edge/*; the server keeps only its hash. */
  token: Type.String(),
  /** When a public key was sent: its fingerprint, for the device to show. */
  fingerprint: Type.Optional(Type.String()),
})

/** The data key wrapped for one device by the owner's device (ciphertext only). */
export const PutGrantBody = Type.Object({ grant: DeviceKeyGrant }, { additionalProperties: false })
export const EdgeGrantResponse = Type.Object({ device_id: Uuid, tenant_id: Uuid, grant: Type.Union([DeviceKeyGrant, Type.Null()]) })

const Block = Type.Unknown()
export const EdgeMiner = Type.Object({
  id: Uuid,
  name: Type.String(),
  model: Type.Union([Type.String(), Type.Null()]),
  use_full_e2ee: Type.Boolean(),
  ip_address: Type.Union([MinerAddress, Type.Null()]),
  port: Type.Union([MinerPort, Type.Null()]),
  encrypted_credentials: Block,
  encrypted_connection_full: Block,
  revision: Type.Integer(),
})
export const EdgeMinersResponse = Type.Object({ tenant_id: Uuid, site_id: Uuid, miners: Type.Array(EdgeMiner) })

const Count = Type.Union([Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), Type.Null()])
const Reading = (max: number) => Type.Union([Type.Number({ minimum: -100, maximum: max }), Type.Null()])

/** One miner at one moment, in fixed units (TH/s, °C, rpm, W, s). */
export const TelemetrySample = Type.Object(
  {
    miner_id: Uuid,
    at: Timestamp,
    online: Type.Boolean(),
    error: Type.Optional(Type.Union([
      Type.Object({
        kind: Type.Union([
          Type.Literal('refused'), Type.Literal('unreachable'), Type.Literal('timeout'), Type.Literal('reset'),
          Type.Literal('closed'), Type.Literal('too-large'), Type.Literal('invalid'), Type.Literal('decrypt'), Type.Literal('config'),
        ]),
        message: Type.String({ maxLength: 300 }),
      }, { additionalProperties: false }),
      Type.Null(),
    ])),
    hashrate_ths: Reading(1_000_000),
    hashrate_avg_ths: Reading(1_000_000),
    accepted_shares: Count,
    rejected_shares: Count,
    stale_shares: Count,
    hardware_errors: Count,
    chip_temps_c: Type.Array(Type.Number({ minimum: -100, maximum: 300 }), { maxItems: 32 }),
    board_temps_c: Type.Array(Type.Number({ minimum: -100, maximum: 300 }), { maxItems: 32 }),
    ambient_c: Reading(300),
    fans_rpm: Type.Array(Type.Integer({ minimum: 0, maximum: 100_000 }), { maxItems: 16 }),
    power_w: Reading(1_000_000),
    uptime_s: Count,
    model: Type.Union([Type.String({ maxLength: 80 }), Type.Null()]),
    firmware: Type.Union([Type.String({ maxLength: 120 }), Type.Null()]),
    pool_status: Type.Union([Type.String({ maxLength: 40 }), Type.Null()]),
    warnings: Type.Array(Type.String({ maxLength: 200 }), { maxItems: 20 }),
  },
  { additionalProperties: false },
)
export const TelemetryBatch = Type.Object(
  {
    /** Chosen by the edge; a batch sent twice is stored once. */
    batch_id: Uuid,
    samples: Type.Array(TelemetrySample, { minItems: 1, maxItems: 5000 }),
  },
  { additionalProperties: false },
)
export const TelemetryAck = Type.Object({ batch_id: Uuid, accepted: Type.Integer(), duplicate: Type.Boolean() })

export type TelemetrySample = Static<typeof TelemetrySample>
export type TelemetryBatch = Static<typeof TelemetryBatch>
export type EdgeMinersResponse = Static<typeof EdgeMinersResponse>
export type EnrollResponse = Static<typeof EnrollResponse>

/**
 * Miners a device found on its network (`scan --add`). The device picks the ids,
 * so a full-E2EE miner's connection can be encrypted for its id before the server
 * ever hears of it: its address never travels in plaintext.
 */
const DiscoveredBase = {
  id: Uuid,
  name: DisplayName,
  model: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })),
}
export const DiscoveredMiner = Type.Union([
  Type.Object({ ...DiscoveredBase, ip_address: MinerAddress, port: MinerPort }, { additionalProperties: false }),
  Type.Object({ ...DiscoveredBase, use_full_e2ee: Type.Literal(true), encrypted_connection_full: EncryptedBlock }, { additionalProperties: false }),
])
export const AddMinersBody = Type.Object(
  { miners: Type.Array(DiscoveredMiner, { minItems: 1, maxItems: 1000 }) },
  { additionalProperties: false },
)
export const AddMinersResponse = Type.Object({
  created: Type.Array(Uuid),
  /** Already on this site (a repeated scan): left as they are. */
  existing: Type.Array(Uuid),
})
export type DiscoveredMiner = Static<typeof DiscoveredMiner>
