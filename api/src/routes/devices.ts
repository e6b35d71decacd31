/** Pairing edge devices with a site (owner/admin); revoking goes through a change request. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Conflict, NotFound } from '../errors.ts'
import { canSeeSite, findVisibleSite, requireRole } from '../lib/access.ts'
import { appendAudit } from '../lib/audit.ts'
import { newEnrollmentCode, normalizeEnrollmentCode, sha256Hex } from '../lib/device_tokens.ts'
import { IdParams, SiteParams, commonErrors } from '../schemas/common.ts'
import type { DeviceKeyGrant, DevicePublicKey } from '../../../e2ee/schema.ts'
import { CreateDeviceBody, CreatedDeviceResponse, DeviceListResponse, DeviceResponse, PutGrantBody } from '../schemas/edge.ts'

const ENROLLMENT_TTL_MS = 15 * 60_000
const DEVICE_COLUMNS = ['id', 'site_id', 'name', 'status', 'created_at', 'enrolled_at', 'revoked_at', 'last_seen_at', 'public_key', 'fingerprint', 'key_grant', 'granted_at'] as const

type DeviceRow = Record<Exclude<(typeof DEVICE_COLUMNS)[number], 'public_key' | 'key_grant'>, string | Date | null> & {
  public_key: DevicePublicKey | null
  key_grant: DeviceKeyGrant | null
}
const iso = (d: string | Date | null) => (d === null ? null : new Date(d).toISOString())
export const deviceView = (d: DeviceRow) => ({
  id: String(d.id), site_id: String(d.site_id), name: String(d.name), status: d.status as 'pending' | 'active' | 'revoked',
  created_at: iso(d.created_at)!, enrolled_at: iso(d.enrolled_at), revoked_at: iso(d.revoked_at), last_seen_at: iso(d.last_seen_at),
  public_key: d.public_key, fingerprint: d.fingerprint === null ? null : String(d.fingerprint),
  granted_kid: d.key_grant?.kid ?? null, granted_at: iso(d.granted_at),
})

const devices: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  app.post('/sites/:siteId/devices', {
    schema: { params: SiteParams, body: CreateDeviceBody, response: { 201: CreatedDeviceResponse, ...commonErrors } },
  }, async (request, reply) => {
    const actor = request.actor
    const site = await findVisibleSite(app.knex, actor, request.params.siteId)
    requireRole(actor, 'admin', 'add an edge device')
    const code = newEnrollmentCode()
    const expiresAt = new Date(Date.now() + ENROLLMENT_TTL_MS)
    const device = await app.knex.transaction(async (trx) => {
      const [row] = await trx('edge_devices')
        .insert({
          tenant_id: actor.tenantId, site_id: site.id, name: request.body.name, status: 'pending',
          enroll_code_hash: sha256Hex(normalizeEnrollmentCode(code)), enroll_expires_at: expiresAt, created_by: actor.userId,
        })
        .returning(DEVICE_COLUMNS)
      await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: 'device.create', targetType: 'device', targetId: row.id, details: { site_id: site.id } })
      return row
    })
    return reply.code(201).send({ device: deviceView(device), enrollment_code: code, expires_at: expiresAt.toISOString() })
  })

  app.get('/sites/:siteId/devices', { schema: { params: SiteParams, response: { 200: DeviceListResponse, ...commonErrors } } }, async (request) => {
    const site = await findVisibleSite(app.knex, request.actor, request.params.siteId)
    requireRole(request.actor, 'admin', 'list edge devices')
    const rows = await app.knex('edge_devices').where({ site_id: site.id, tenant_id: site.tenant_id }).orderBy('created_at').select(DEVICE_COLUMNS)
    return { devices: rows.map(deviceView) }
  })

  // The owner's device wrapped the data key for this device's public key after comparing
  // fingerprints; the server checks only the grant's shape and that it names a live kid.
  app.put('/devices/:id/grant', { schema: { params: IdParams, body: PutGrantBody, response: { 200: DeviceResponse, ...commonErrors } } }, async (request) => {
    const actor = request.actor
    const action = 'grant the data key to a device'
    requireRole(actor, 'admin', action)
    const { grant } = request.body
    const row = await app.knex.transaction(async (trx) => {
      const device = await trx('edge_devices').where({ id: request.params.id, tenant_id: actor.tenantId }).forUpdate().first('site_id', 'status', 'public_key')
      if (!device || !canSeeSite(actor, device.site_id)) throw new NotFound('Device')
      if (device.status !== 'active') throw new Conflict(action, `the device is ${device.status}`)
      if (!device.public_key) throw new Conflict(action, 'the device enrolled without a public key; enrol it again with a current collector')
      // A grant may name the current keyring, or the new one of a rotation under way.
      const live: string[] = [
        ...(await trx('keyrings').where({ tenant_id: actor.tenantId }).pluck('kid')),
        ...(await trx('key_rotations').where({ tenant_id: actor.tenantId }).whereNot({ status: 'COMPLETED' }).whereNotNull('new_kid').pluck('new_kid')),
      ]
      if (!live.includes(grant.kid)) throw new Conflict(action, "the grant names a keyring that is not the tenant's current one")
      const [updated] = await trx('edge_devices').where({ id: request.params.id })
        .update({ key_grant: JSON.stringify(grant), granted_at: trx.fn.now() }).returning(DEVICE_COLUMNS)
      await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: 'device.grant', targetType: 'device', targetId: request.params.id, details: { kid: grant.kid } })
      return updated
    })
    return deviceView(row)
  })

  // Revoking is a four-eyes action (DEVICE_REVOKE change request, lib/change_actions.ts):
  // this route only says so, after the same checks, so a caller learns what to do.
  app.post('/devices/:id/revoke', { schema: { params: IdParams, response: { 200: DeviceResponse, ...commonErrors } } }, async (request) => {
    const actor = request.actor
    requireRole(actor, 'admin', 'revoke an edge device')
    const device = await app.knex('edge_devices').where({ id: request.params.id, tenant_id: actor.tenantId }).first('site_id')
    if (!device || !canSeeSite(actor, device.site_id)) throw new NotFound('Device')
    throw new Conflict('revoke an edge device', 'it needs a four-eyes change request: file POST /api/changes with request_type DEVICE_REVOKE, have another owner or admin approve it, then execute it')
  })
}

export default devices
