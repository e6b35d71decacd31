/**
 * A real API on its own fresh PostgreSQL database, for tests that go through
 * `app.inject`. Members other than the owner are added straight to the database
 * (invitations are another issue's), with a signed session token.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { FastifyServerOptions } from 'fastify'
import { inject } from 'vitest'
import { buildApp, type App } from '../../api/src/app.ts'
import { loadConfig } from '../../api/src/config.ts'
import { Membership } from '../../api/src/models/membership.ts'
import { User } from '../../api/src/models/user.ts'
import type { Role } from '../../api/src/schemas/common.ts'
import type { BlockV1, BlockV2 } from '../../e2ee/schema.ts'
import { createTestDatabase } from './database.ts'

export interface Session {
  token: string
  userId: string
  tenantId: string
  headers: { authorization: string }
}

export interface TestApi {
  app: App
  databaseUrl: string
  /** Registers a new account and tenant; the caller is its owner. */
  register(tenantName?: string): Promise<Session>
  /** Adds a member with `role` to the owner's tenant. */
  addMember(owner: Session, role: Role, allowedSiteIds?: string[] | null): Promise<Session>
  close(): Promise<void>
}

/**
 * @param overrides configuration to change from the defaults
 * @param logger Fastify logger options; none by default (pass a stream to read what the API logs)
 */
export async function startTestApi(overrides: Partial<ReturnType<typeof loadConfig>> = {}, logger: FastifyServerOptions['logger'] = false): Promise<TestApi> {
  const db = await createTestDatabase(inject('pgAdminUrl'))
  const app = await buildApp(
    { ...loadConfig({}), databaseUrl: db.url, jwtSecret: randomBytes(32).toString('hex'), loginRateLimit: 1000, ...overrides },
    logger,
  )
  await app.ready()
  const session = (userId: string, tenantId: string): Session => {
    const token = app.jwt.sign({ sub: userId, tid: tenantId })
    return { token, userId, tenantId, headers: { authorization: `Bearer ${token}` } }
  }
  return {
    app,
    databaseUrl: db.url,
    async register(tenantName = `Farm ${randomUUID().slice(0, 8)}`) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/auth/register',
        payload: { email: `owner-${randomUUID()}@example.com`, password: 'correct horse battery staple', tenantName },
      })
      if (res.statusCode !== 201) throw new Error(`Cannot register: ${res.body}`)
      const body = res.json()
      return session(body.user.id, body.tenant.id)
    },
    async addMember(owner, role, allowedSiteIds = null) {
      const user = await User.query(app.knex).insert({ email: `${role}-${randomUUID()}@example.com`, password_hash: 'scrypt$unused' })
      await Membership.query(app.knex).insert({ user_id: user.id, tenant_id: owner.tenantId, role, allowed_site_ids: allowedSiteIds })
      return session(user.id, owner.tenantId)
    },
    async close() {
      await app.close()
      await db.drop()
    },
  }
}

const b64 = (n: number) => randomBytes(n).toString('base64')

/** A well-formed v1 block of random bytes (the API cannot tell it from a real one). */
export function fakeBlockV1(): BlockV1 {
  return { ciphertext: b64(64), iv: b64(12), salt: b64(16), algo: 'AES-256-GCM', version: 1 }
}

/** A well-formed v2 block of random bytes under `kid` with `counter`. */
export function fakeBlockV2(kid: string, counter: number): BlockV2 {
  return { ciphertext: b64(64), iv: b64(12), algo: 'AES-256-GCM', version: 2, kid, counter }
}

/** A well-formed wrapped keyring of random bytes. */
export function fakeKeyring(kid = randomBytes(16).toString('base64url'), iterations = 600_000) {
  return {
    kid,
    kdf: { name: 'PBKDF2' as const, hash: 'SHA-256' as const, iterations, salt: b64(16) },
    wrapped_key: { ciphertext: b64(48), iv: b64(12) },
  }
}

/** A telemetry sample as the edge sends it: a healthy miner at `at`, with `patch` applied. */
export function telemetrySample(minerId: string, patch: Record<string, unknown> = {}, at = new Date()) {
  return {
    miner_id: minerId, at: at.toISOString(), online: true, error: null, hashrate_ths: 100, hashrate_avg_ths: 100,
    accepted_shares: 1000, rejected_shares: 1, stale_shares: 0, hardware_errors: 0, chip_temps_c: [70], board_temps_c: [60],
    ambient_c: 25, fans_rpm: [5000], power_w: 3000, uptime_s: 100, model: 'Antminer S19 Pro', firmware: '49.0.1.3', pool_status: 'Alive', warnings: [],
    ...patch,
  }
}
