/**
 * Offline sync. Pull pages through a cursor; push applies a device's queued
 * changes in order, each answered applied, conflict (with the server's copy) or
 * rejected. Change ids make replays harmless.
 */
import Type, { type Static } from 'typebox'
import { Block } from '../../../e2ee/schema.ts'
import { Uuid } from './common.ts'
import { MinerAddress, MinerPort, MinerResponse } from './miners.ts'
import { StoredBlock } from './secrets.ts'

/** `s.<horizon>.<last miner id>` while a fresh device reads the snapshot, then `c.<txid>.<seq>`. */
export const Cursor = Type.String({ pattern: '^(?:s\\.[0-9]{1,20}\\.[0-9a-f-]{0,36}|c\\.[0-9]{1,20}\\.[0-9]{1,20})$', description: 'a cursor returned by GET /api/sync' })

export const PullQuery = Type.Object(
  { since: Type.Optional(Cursor), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
  { additionalProperties: false },
)

/** A miner as sync delivers it: metadata and both blocks, at its current revision. */
export const SyncedMiner = Type.Object({
  miner: MinerResponse,
  encrypted_credentials: Type.Union([StoredBlock, Type.Null()]),
  encrypted_connection_full: Type.Union([StoredBlock, Type.Null()]),
})
export const PullResponse = Type.Object({
  miners: Type.Array(SyncedMiner),
  cursor: Cursor,
  /** More is waiting now: pull again at once. */
  has_more: Type.Boolean(),
})

const ChangeBase = { change_id: Uuid, subject_id: Uuid, base_revision: Type.Integer({ minimum: 1 }) }
export const SyncChange = Type.Union([
  Type.Object({ ...ChangeBase, kind: Type.Literal('credentials'), block: Block }, { additionalProperties: false }),
  Type.Object({ ...ChangeBase, kind: Type.Literal('connection_full'), use_full_e2ee: Type.Literal(true), block: Block }, { additionalProperties: false }),
  Type.Object({
    ...ChangeBase, kind: Type.Literal('connection_full'), use_full_e2ee: Type.Literal(false), ip_address: MinerAddress, port: Type.Optional(MinerPort),
  }, { additionalProperties: false }),
])
export const PushBody = Type.Object(
  { changes: Type.Array(SyncChange, { minItems: 1, maxItems: 500 }) },
  { additionalProperties: false },
)
export const ChangeResult = Type.Object({
  change_id: Uuid,
  status: Type.Union([Type.Literal('applied'), Type.Literal('conflict'), Type.Literal('rejected')]),
  /** applied: the miner's new revision. */
  revision: Type.Optional(Type.Integer()),
  /** conflict: the server's current copy, to keep beside the device's. */
  current: Type.Optional(SyncedMiner),
  /** rejected: why (the same words the secret routes would use). */
  error: Type.Optional(Type.Object({ statusCode: Type.Integer(), message: Type.String() })),
})
export const PushResponse = Type.Object({ results: Type.Array(ChangeResult) })

export type SyncChange = Static<typeof SyncChange>
export type ChangeResult = Static<typeof ChangeResult>
