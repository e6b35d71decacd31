/**
 * The API as a Fastify app, built without listening (tests inject requests;
 * server.ts listens). The API stores and returns ciphertext blocks as they came
 * and never decrypts: nothing here imports decryption code.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import { STATUS_CODES } from 'node:http'
import type { AppConfig } from './config.ts'
import { serializerCompiler } from './lib/serializer.ts'
import { schemaErrorFormatter, validatorCompiler } from './lib/validation.ts'
import db from './plugins/external/db.ts'
import dbEvents from './plugins/external/db_events.ts'
import jwt from './plugins/external/jwt.ts'
import security from './plugins/external/security.ts'
import auth from './plugins/app/auth.ts'
import auditSealer from './plugins/app/audit_sealer.ts'
import deviceAuth from './plugins/app/device_auth.ts'
import streamHub from './plugins/app/stream_hub.ts'
import housekeeping from './plugins/app/housekeeping.ts'
import suspiciousActivity from './plugins/app/suspicious_activity.ts'
import invitationMailer from './plugins/app/invitation_mailer.ts'
import routes from './routes/index.ts'
import pwaStatic from './plugins/app/pwa_static.ts'

declare module 'fastify' {
  interface FastifyInstance {
    config: AppConfig
  }
}

export type App = FastifyInstance

/** Log paths that could carry a secret or a block: never written to the log. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-device-token"]',
  '*.password',
  '*.passphrase',
  '*.token',
  '*.ciphertext',
  '*.iv',
  '*.salt',
  '*.wrapped_key',
  '*.smtpUrl',
  '*.encrypted_credentials',
  '*.encrypted_connection_full',
  'body',
]

/**
 * Requests are logged without their query string: a stream ticket travels there
 * (short-lived, but a credential all the same), and nothing else we log needs it.
 */
export const LOG_SERIALIZERS = {
  req: (req: { method: string; url: string; hostname?: string; ip?: string; socket?: { remotePort?: number } }) => ({
    method: req.method,
    url: req.url.split('?')[0],
    host: req.hostname,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  }),
}

// Connection faults reach the client as 503 (retry later), not as a generic 500.
function isDatabaseUnavailable(err: { code?: string; name?: string }): boolean {
  return err.name === 'KnexTimeoutError' || ['ECONNREFUSED', 'ECONNRESET', '57P01', '57P03', '08006', '08001'].includes(err.code ?? '')
}

// Values that slip past the schemas but that PostgreSQL refuses are the caller's fault
// (22P05: a \u0000 in JSON that becomes text).
function isBadData(err: { code?: string }): boolean {
  return ['22P02', '22P05', '22021', '22001', '22003', '22007', '22008'].includes(err.code ?? '')
}

/**
 * Builds the app with every plugin and route registered.
 * @param config validated configuration, with the JWT secret resolved
 * @param logger Fastify logger options (defaults to the configured level with redaction)
 */
export async function buildApp(config: AppConfig, logger?: FastifyServerOptions['logger']): Promise<App> {
  const app = Fastify({
    logger: logger ?? { level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers: LOG_SERIALIZERS },
    bodyLimit: config.bodyLimit,
    schemaErrorFormatter,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err.validation) {
      return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: err.message, code: 'HI_VALIDATION' })
    }
    if (isDatabaseUnavailable(err)) {
      request.log.error({ err: { name: err.name, code: err.code, message: err.message } }, 'database unavailable')
      return reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message: 'The database is unavailable; nothing was changed. Try again shortly' })
    }
    if (isBadData(err)) {
      return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: 'The request holds a value the database cannot store (invalid characters or out of range); nothing was changed' })
    }
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500
    if (status >= 500) {
      request.log.error({ err }, 'request failed')
      return reply.code(status).send({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message: 'Something went wrong on our side; nothing was changed' })
    }
    return reply.code(status).send({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message: err.message, ...(err.code ? { code: err.code } : {}) })
  })

  await app.register(fp(async (a) => { a.decorate('config', config) }, { name: 'config' }))
  await app.register(security)
  await app.register(db)
  await app.register(dbEvents)
  await app.register(jwt)
  await app.register(auth)
  await app.register(auditSealer)
  await app.register(deviceAuth)
  await app.register(streamHub)
  await app.register(housekeeping)
  await app.register(suspiciousActivity)
  await app.register(invitationMailer)
  await app.register(routes)
  if (config.servePwa !== false) await app.register(pwaStatic)
  if (!app.hasReplyDecorator('sendFile')) {
    app.setNotFoundHandler((request, reply) =>
      reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `Route ${request.method} ${request.url.split('?')[0]} not found` }),
    )
  }
  return app
}
