/**
 * Remote-control commands: what the owner's device sends (routing metadata and the
 * sealed command), what members and the site's edge device read, and the per-miner
 * results the device reports. Nothing here carries a parameter of the command.
 */
import Type, { type Static } from 'typebox'
import { BlockV2, COMMAND_ACTIONS, MAX_COMMAND_MINERS } from '../../../e2ee/schema.ts'
import { Timestamp, Uuid } from './common.ts'

export const CommandAction = Type.Union(COMMAND_ACTIONS.map((a) => Type.Literal(a)))

export const IssueCommandBody = Type.Object({
  command_id: Uuid,
  site_id: Uuid,
  miner_ids: Type.Array(Uuid, { minItems: 1, maxItems: MAX_COMMAND_MINERS, uniqueItems: true }),
  action: CommandAction,
  expires_at: Timestamp,
  /** The command sealed under the tenant data key (kind `command`, subject `<site>/<id>`). */
  sealed: BlockV2,
}, { additionalProperties: false })

export const CommandResultStatus = Type.Union([Type.Literal('ok'), Type.Literal('error'), Type.Literal('unsupported')])
export const CommandStatus = Type.Union([
  Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('done'), Type.Literal('refused'), Type.Literal('expired'),
])

export const CommandResult = Type.Object({
  miner_id: Uuid,
  status: CommandResultStatus,
  message: Type.Union([Type.String(), Type.Null()]),
  at: Timestamp,
})

export const CommandResponse = Type.Object({
  id: Uuid,
  site_id: Uuid,
  action: CommandAction,
  miner_ids: Type.Array(Uuid),
  issued_by: Uuid,
  issued_at: Timestamp,
  expires_at: Timestamp,
  status: CommandStatus,
  refusal: Type.Union([Type.Object({ reason: Type.String(), message: Type.String() }), Type.Null()]),
  counts: Type.Object({ ok: Type.Integer(), error: Type.Integer(), unsupported: Type.Integer(), pending: Type.Integer() }),
  results: Type.Array(CommandResult),
})
export const CommandListQuery = Type.Object({
  site_id: Type.Optional(Uuid),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
}, { additionalProperties: false })
export const CommandSummary = Type.Omit(CommandResponse, ['results', 'miner_ids'])
export const CommandListResponse = Type.Object({ commands: Type.Array(CommandSummary) })
/**
 * The stream's `command.progress` event: the summary after a part of the results
 * (or the refusal) was recorded, with that part, so a watching device merges it
 * into its view instead of reading the command again.
 */
export const CommandProgressEvent = Type.Intersect([CommandSummary, Type.Object({ results: Type.Array(CommandResult) })])

/** What the device gets: enough to route, and the seal to open. */
export const EdgeCommand = Type.Object({
  id: Uuid,
  site_id: Uuid,
  action: CommandAction,
  miner_ids: Type.Array(Uuid),
  expires_at: Timestamp,
  sealed: BlockV2,
})
export const EdgeCommandsQuery = Type.Object({
  /** Long-poll: wait up to this long for a command when none is pending. */
  wait_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 30_000 })),
}, { additionalProperties: false })
export const EdgeCommandsResponse = Type.Object({ commands: Type.Array(EdgeCommand) })

/** Why the edge refused a whole command (it names no secret: the seal's checks). */
export const RefusalReason = Type.Union([
  Type.Literal('undecryptable'), Type.Literal('malformed'), Type.Literal('wrong_tenant'), Type.Literal('wrong_site'),
  Type.Literal('wrong_id'), Type.Literal('expired'), Type.Literal('replayed'), Type.Literal('no_key'),
])

export const CommandResultBody = Type.Object({
  results: Type.Optional(Type.Array(Type.Object({
    miner_id: Uuid,
    status: CommandResultStatus,
    message: Type.Optional(Type.String({ maxLength: 500 })),
  }, { additionalProperties: false }), { maxItems: MAX_COMMAND_MINERS })),
  refused: Type.Optional(Type.Object({ reason: RefusalReason, message: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false })),
}, { additionalProperties: false })
export const CommandResultAck = Type.Object({ id: Uuid, status: CommandStatus, recorded: Type.Integer() })

export type IssueCommandBody = Static<typeof IssueCommandBody>
export type CommandResponse = Static<typeof CommandResponse>
export type CommandResultBody = Static<typeof CommandResultBody>
export type EdgeCommand = Static<typeof EdgeCommand>
