/**
 * A data-key rotation (after a device is revoked, say): authorised by an executed
 * BATCH_REENCRYPT change request, started with the new wrapped keyring, then the
 * owner's device re-encrypts every block under the new kid — resuming from what the
 * server reports as left — and completes it once nothing is left under the old kid.
 */
import Type, { type Static } from 'typebox'
import { Kid, WrappedKeyring } from '../../../e2ee/schema.ts'
import { Timestamp, Uuid } from './common.ts'

export const RotationStatus = Type.Union([Type.Literal('AUTHORISED'), Type.Literal('IN_PROGRESS'), Type.Literal('COMPLETED')])

export const StartRotationBody = Type.Object(
  { keyring: WrappedKeyring, base_revision: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
)

/** What is still encrypted under the old kid, for the owner's device to re-encrypt. */
export const RemainingBlocks = Type.Object({
  miners: Type.Array(Type.Object({ id: Uuid, kinds: Type.Array(Type.Union([Type.Literal('credentials'), Type.Literal('connection_full')])) })),
  pool_keys: Type.Array(Uuid),
  count: Type.Integer(),
})
export const RotationView = Type.Object({
  id: Uuid,
  change_request_id: Uuid,
  status: RotationStatus,
  old_kid: Type.Union([Kid, Type.Null()]),
  new_kid: Type.Union([Kid, Type.Null()]),
  /** The old wrapped keyring while the rotation runs, so other owner devices still read old blocks. */
  old_keyring: Type.Union([WrappedKeyring, Type.Null()]),
  blocks_total: Type.Union([Type.Integer(), Type.Null()]),
  blocks_done: Type.Integer(),
  created_at: Timestamp,
  started_at: Type.Union([Timestamp, Type.Null()]),
  completed_at: Type.Union([Timestamp, Type.Null()]),
})
export const RotationResponse = Type.Object({ rotation: Type.Union([RotationView, Type.Null()]), remaining: Type.Union([RemainingBlocks, Type.Null()]) })

export type RotationView = Static<typeof RotationView>
export type RemainingBlocks = Static<typeof RemainingBlocks>
