/** Schema pieces shared by every resource. */
import Type, { type Static } from 'typebox'

export const ROLES = ['owner', 'admin', 'operator', 'viewer'] as const
export const Role = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('operator'), Type.Literal('viewer')])
export type Role = (typeof ROLES)[number]

export const Uuid = Type.String({ format: 'uuid' })
export const Timestamp = Type.String({ format: 'date-time' })

/** The one error shape: `{statusCode, error, message}`. */
export const ErrorResponse = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String(),
  code: Type.Optional(Type.String()),
})

/** Responses every authenticated route may give besides its own. */
export const commonErrors = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
  429: ErrorResponse,
}

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false })
export const SiteParams = Type.Object({ siteId: Uuid }, { additionalProperties: false })
export type IdParams = Static<typeof IdParams>
export type SiteParams = Static<typeof SiteParams>

// C0 controls and DEL: NUL cannot be stored in PostgreSQL text (22P05), the others garble logs and screens.
const NOT_CONTROL = '[^\\u0000-\\u001f\\u007f]'

/** A pattern for text shown to people (messages from devices, say): no control characters. */
export const NO_CONTROL_CHARACTERS = `^${NOT_CONTROL}*$`

/** A name a person types: trimmed, no control characters. */
export const DisplayName = Type.String({ minLength: 1, maxLength: 120, pattern: `^${NOT_CONTROL}*[^\\s\\u0000-\\u001f\\u007f]${NOT_CONTROL}*$` })
