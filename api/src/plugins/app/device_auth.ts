/**
 * Edge devices authenticate with their device token (RULE-5): unknown, pending or
 * revoked tokens get 401, and a device only ever acts for its own site.
 */
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Unauthorized } from '../../errors.ts'
import { sha256Hex } from '../../lib/device_tokens.ts'

export interface EdgeDevice {
  id: string
  tenantId: string
  siteId: string
}

declare module 'fastify' {
  interface FastifyRequest {
    device: EdgeDevice
  }
  interface FastifyInstance {
    /** onRequest hook for /api/edge routes other than enrolment. */
    authenticateDevice(request: FastifyRequest): Promise<void>
  }
}

export default fp(
  async (app) => {
    const lastSeenWrite = new Map<string, number>()
    app.decorateRequest('device', null as unknown as EdgeDevice)
    app.decorate('authenticateDevice', async (request: FastifyRequest) => {
      const match = /^Bearer (hie_[A-Za-z0-9_-]{43})$/.exec(request.headers.authorization ?? '')
      if (!match) throw new Unauthorized('Missing or malformed device token')
      const row: { id: string; tenant_id: string; site_id: string; status: string } | undefined = await app.knex('edge_devices')
        .where({ token_hash: sha256Hex(match[1]!) })
        .first('id', 'tenant_id', 'site_id', 'status')
      if (!row || row.status !== 'active') throw new Unauthorized('This device is not enrolled or was revoked')
      request.device = { id: row.id, tenantId: row.tenant_id, siteId: row.site_id }
      // Seen-at is informational: written at most once a minute per device and process,
      // never awaited by the request.
      const now = Date.now()
      if ((lastSeenWrite.get(row.id) ?? 0) < now - 60_000) {
        lastSeenWrite.set(row.id, now)
        void app.knex('edge_devices').where({ id: row.id }).update({ last_seen_at: app.knex.fn.now() }).catch(() => {})
      }
    })
  },
  { name: 'device-auth', dependencies: ['db'] },
)
