/**
 * Server configuration, validated once from the environment. Plugins read
 * `app.config`; nothing below this module reads process.env.
 */
import Type, { type Static } from 'typebox'
import Value from 'typebox/value'

export const ConfigSchema = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  host: Type.String({ default: '127.0.0.1' }),
  /** Any PostgreSQL; when absent the server starts the embedded one in dataDir. */
  databaseUrl: Type.Optional(Type.String({ minLength: 1 })),
  dataDir: Type.String({ default: '.data' }),
  /** HMAC secret for session tokens; generated once into dataDir when absent. */
  jwtSecret: Type.Optional(Type.String({ minLength: 32 })),
  tokenTtl: Type.String({ default: '12h' }),
  logLevel: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  bodyLimit: Type.Integer({ minimum: 1024, default: 262_144 }),
  /** Login attempts per minute per client address and per account. */
  loginRateLimit: Type.Integer({ minimum: 1, default: 10 }),
  /** Serve the built PWA from pwa/dist at `/` (when it has been built). */
  servePwa: Type.Boolean({ default: true }),
  /** Milliseconds given to in-flight requests on shutdown. */
  shutdownGraceMs: Type.Integer({ minimum: 0, default: 10_000 }),
  /** Raw telemetry is kept this long; above the hours that rollups are recomputed over (lib/retention.ts). */
  telemetryRawHours: Type.Integer({ minimum: 7, default: 48 }),
  /** Five-minute rollups (what the 24 h and 7 d charts read) are kept this long. */
  telemetryRollupDays: Type.Integer({ minimum: 8, default: 90 }),
  /** The mail server for invitation emails, credentials in the URL; without it invitations are not emailed. */
  smtpUrl: Type.Optional(Type.String({ pattern: '^smtps?://[^\\s]+$' })),
  /** The sender of invitation emails, needed with smtpUrl: `Farm <farm@example.com>` or an address. */
  mailFrom: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
  /** Where the PWA is served, for the links in invitation emails; needed with smtpUrl. */
  publicUrl: Type.Optional(Type.String({ pattern: '^https?://[^/?#\\s]+/?$' })),
  /** First retry delay of an email the mail server did not take; it doubles per attempt, up to an hour. */
  mailRetryMs: Type.Integer({ minimum: 10, default: 5000 }),
  /** Invitations one member may make per hour (each API node counts its own share). */
  invitationRateLimit: Type.Integer({ minimum: 1, default: 20 }),
  /** Invitations all members of one tenant may make per hour, together. */
  tenantInvitationRateLimit: Type.Integer({ minimum: 1, default: 50 }),
  /** Invitations of one tenant waiting to be accepted at once. */
  maxPendingInvitations: Type.Integer({ minimum: 1, default: 50 }),
})

export type AppConfig = Static<typeof ConfigSchema> & { jwtSecret: string }
export type ServerConfig = Static<typeof ConfigSchema>

const ENV: Record<keyof ServerConfig, string> = {
  port: 'PORT',
  host: 'HOST',
  databaseUrl: 'DATABASE_URL',
  dataDir: 'DATA_DIR',
  jwtSecret: 'JWT_SECRET',
  tokenTtl: 'TOKEN_TTL',
  logLevel: 'LOG_LEVEL',
  bodyLimit: 'BODY_LIMIT',
  loginRateLimit: 'LOGIN_RATE_LIMIT',
  shutdownGraceMs: 'SHUTDOWN_GRACE_MS',
  servePwa: 'SERVE_PWA',
  telemetryRawHours: 'TELEMETRY_RAW_HOURS',
  telemetryRollupDays: 'TELEMETRY_ROLLUP_DAYS',
  smtpUrl: 'SMTP_URL',
  mailFrom: 'MAIL_FROM',
  publicUrl: 'PUBLIC_URL',
  mailRetryMs: 'MAIL_RETRY_MS',
  invitationRateLimit: 'INVITATION_RATE_LIMIT',
  tenantInvitationRateLimit: 'TENANT_INVITATION_RATE_LIMIT',
  maxPendingInvitations: 'MAX_PENDING_INVITATIONS',
}

/**
 * Reads and validates the configuration from environment variables.
 * @throws Error naming every invalid variable
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const raw: Record<string, unknown> = {}
  for (const [key, name] of Object.entries(ENV)) {
    const value = env[name]
    if (value === undefined || value === '') continue
    raw[key] = /^\d+$/.test(value) && key !== 'jwtSecret' ? Number(value) : value === 'true' ? true : value === 'false' ? false : value
  }
  const config = Value.Default(ConfigSchema, raw)
  if (!Value.Check(ConfigSchema, config)) {
    const problems = [...Value.Errors(ConfigSchema, config)].map((e) => {
      const key = (e.instancePath || '').replace(/^\//, '') as keyof ServerConfig
      return `${ENV[key] ?? key}: ${e.message}`
    })
    throw new Error(`Cannot start: invalid configuration (${[...new Set(problems)].join('; ')})`)
  }
  const valid = config as ServerConfig
  mailSettings(valid)
  return valid
}

/** What sending invitation emails takes, all of it set. */
export interface MailSettings {
  smtpUrl: string
  mailFrom: string
  /** The origin of the links in the emails. */
  publicUrl: string
}

/**
 * The mail settings when SMTP_URL is set, else undefined. An email's link opens the
 * PWA at PUBLIC_URL and nowhere else: the Host header of the inviter's request is
 * chosen by whoever sends it (and says http behind a TLS proxy), so it never makes a link.
 * @throws Error at start naming what is missing or unusable, rather than every email failing later, quietly
 */
export function mailSettings(config: Pick<ServerConfig, 'smtpUrl' | 'mailFrom' | 'publicUrl'>): MailSettings | undefined {
  const { smtpUrl, mailFrom, publicUrl } = config
  if (!smtpUrl) return undefined
  if (!mailFrom) throw new Error('Cannot start: invalid configuration (MAIL_FROM: needed with SMTP_URL)')
  if (!publicUrl) throw new Error('Cannot start: invalid configuration (PUBLIC_URL: needed with SMTP_URL, as the address of the links in invitation emails)')
  if (!URL.canParse(publicUrl)) throw new Error('Cannot start: invalid configuration (PUBLIC_URL: not a usable URL)')
  return { smtpUrl, mailFrom, publicUrl }
}
