/**
 * The API's coded errors. Handlers throw these (or @fastify/sensible's httpErrors);
 * the one error handler in app.ts turns them into `{statusCode, error, message}`.
 */
import createError from '@fastify/error'

export const NotFound = createError('HI_NOT_FOUND', '%s not found', 404)
export const Forbidden = createError('HI_FORBIDDEN', 'Cannot %s: %s', 403)
export const Conflict = createError('HI_CONFLICT', 'Cannot %s: %s', 409)
export const BadInput = createError('HI_BAD_INPUT', 'Cannot %s: %s', 400)
export const Unauthorized = createError('HI_UNAUTHORIZED', '%s', 401)
export const TooManyRequests = createError('HI_RATE_LIMITED', '%s', 429)
