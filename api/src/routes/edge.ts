/**
 * What an enrolled edge device may do: fetch its site's miners (with their
 * encrypted blocks), the tenant keyring or its own data-key grant, and push
 * telemetry for those miners and statistics for its tenant's pool keys.
 * Telemetry batches are recorded in telemetry_batches (device, size, time) rather
 * than in the audit chain, which is kept for people's and devices' changes.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { BadInput, Conflict, TooManyRequests, Unauthorized } from '../errors.ts'
import { hashedSubject } from '../plugins/app/suspicious_activity.ts'
import { ADDRESS } from '../lib/address_text.ts'
import { appendAudit } from '../lib/audit.ts'
import { storeTelemetryBatch } from '../lib/live_ingest.ts'
import { deviceKeyFingerprint } from '../lib/device_keys.ts'
import { newDeviceToken, normalizeEnrollmentCode, sha256Hex } from '../lib/device_tokens.ts'
import { poolKeyView, poolKeys } from '../lib/pool_keys.ts'
import { checkPoolStatsReports, poolStats } from '../lib/pool_stats.ts'
import { Keyring } from '../models/keyring.ts'
import { commonErrors } from '../schemas/common.ts'
import { AddMinersBody, AddMinersResponse, EdgeGrantResponse, EdgeMinersResponse, EnrollBody, EnrollResponse, TelemetryAck, TelemetryBatch } from '../schemas/edge.ts'
import { checkBlockReplacement } from '../lib/block_rules.ts'
import { refusePlaintext } from '../lib/validation.ts'
import { KeyringResponse } from '../schemas/keyring.ts'
import { PoolKeyListResponse } from '../schemas/pool_keys.ts'
import { PoolStatsAck, PoolStatsBatch } from '../schemas/pool_stats.ts'

const edge: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/enroll', {
    schema: { body: EnrollBody, response: { 200: EnrollResponse, ...commonErrors } },
    config: { rateLimit: { max: app.config.loginRateLimit, timeWindow: '1 minute' } },
  }, async (request) => {
    // Guessing codes from one address: refused for the rest of the window once alerted.
    const from = { type: 'address', id: hashedSubject(request.ip) }
    if (app.suspicion.count('enrollment_attempts', from) >= app.config.loginRateLimit) {
      throw new TooManyRequests('Too many failed enrolment attempts from this address; wait a minute and try again')
    }
    const token = newDeviceToken()
    const publicKey = request.body.public_key
    const device = await app.knex.transaction(async (trx) => {
      // One statement claims the code, so two devices racing for it cannot both win.
      const [row] = await trx('edge_devices')
        .where({ enroll_code_hash: sha256Hex(normalizeEnrollmentCode(request.body.code)), status: 'pending' })
        .andWhere('enroll_expires_at', '>', trx.fn.now())
        .update({
          status: 'active', token_hash: sha256Hex(token), enroll_code_hash: null, enrolled_at: trx.fn.now(),
          ...(publicKey ? { public_key: JSON.stringify(publicKey), fingerprint: deviceKeyFingerprint(publicKey) } : {}),
        })
        .returning(['id', 'tenant_id', 'site_id'])
      if (!row) return undefined
      await appendAudit(trx, { tenantId: row.tenant_id, actorType: 'device', actorId: row.id, action: 'device.enroll', targetType: 'device', targetId: row.id })
      return row
    })
    if (!device) {
      await app.suspicion.record('enrollment_attempts', from, [], app.config.loginRateLimit)
      throw new Unauthorized('This enrolment code is unknown, already used or expired; ask for a new one')
    }
    return { device_id: device.id, tenant_id: device.tenant_id, site_id: device.site_id, token, ...(publicKey ? { fingerprint: deviceKeyFingerprint(publicKey) } : {}) }
  })

  const deviceRoutes: FastifyPluginAsyncTypebox = async (authed) => {
    authed.addHook('onRequest', app.authenticateDevice)

    authed.get('/miners', { schema: { response: { 200: EdgeMinersResponse, ...commonErrors } } }, async (request) => {
      const { tenantId, siteId } = request.device
      const miners = await app.knex('hosting_miners')
        .where({ tenant_id: tenantId, site_id: siteId })
        .orderBy('name')
        .select('id', 'name', 'model', 'use_full_e2ee', 'ip_address', 'port', 'encrypted_credentials', 'encrypted_connection_full', 'revision')
      return { tenant_id: tenantId, site_id: siteId, miners }
    })

    authed.post('/miners', {
      schema: { body: AddMinersBody, response: { 200: AddMinersResponse, ...commonErrors } },
      bodyLimit: 2 * 1024 * 1024,
      preValidation: async (request) => {
        for (const m of ((request.body as { miners?: unknown[] } | null)?.miners ?? [])) {
          const full = (m as { use_full_e2ee?: unknown } | null)?.use_full_e2ee === true
          refusePlaintext(m, 'add discovered miners', full ? [] : ['ip_address', 'port'])
        }
      },
    }, async (request) => {
      const { id: deviceId, tenantId, siteId } = request.device
      const miners = request.body.miners
      return app.knex.transaction(async (trx) => {
        const keyring = await trx('keyrings').where({ tenant_id: tenantId }).first('kid')
        for (const m of miners) {
          if (!('use_full_e2ee' in m)) continue
          // A full-E2EE miner's name is the one thing about it the server reads: no address in it.
          if (ADDRESS.test(m.name)) throw new BadInput('add discovered miners', `the name of miner ${m.id} contains an address`)
          checkBlockReplacement('add discovered miners', null, m.encrypted_connection_full, keyring?.kid ?? null)
        }
        const rows = miners.map((m) => ('use_full_e2ee' in m
          ? { id: m.id, tenant_id: tenantId, site_id: siteId, name: m.name, model: m.model ?? null, use_full_e2ee: true, ip_address: null, port: null, encrypted_connection_full: JSON.stringify(m.encrypted_connection_full) }
          : { id: m.id, tenant_id: tenantId, site_id: siteId, name: m.name, model: m.model ?? null, ip_address: m.ip_address, port: m.port }))
        const created: string[] = (await trx('hosting_miners').insert(rows).onConflict('id').ignore().returning('id')).map((r: { id: string }) => r.id)
        const rest = miners.map((m) => m.id).filter((id) => !created.includes(id))
        const existing: string[] = rest.length ? await trx('hosting_miners').whereIn('id', rest).where({ site_id: siteId }).pluck('id') : []
        if (existing.length !== rest.length) throw new Conflict('add discovered miners', 'some miner ids are already in use elsewhere; nothing was added')
        for (const id of created) {
          await appendAudit(trx, { tenantId, actorType: 'device', actorId: deviceId, action: 'miner.create', targetType: 'miner', targetId: id, details: { site_id: siteId, discovered: true } })
        }
        return { created, existing }
      })
    })

    authed.get('/keyring', { schema: { response: { 200: KeyringResponse, ...commonErrors } } }, async (request) => {
      const k = await Keyring.query(app.knex).findById(request.device.tenantId)
      return k ? { keyring: { kid: k.kid, kdf: k.kdf, wrapped_key: k.wrapped_key }, revision: Number(k.revision) } : { keyring: null, revision: null }
    })

    authed.get('/grant', { schema: { response: { 200: EdgeGrantResponse, ...commonErrors } } }, async (request) => {
      const { id, tenantId } = request.device
      const row = await app.knex('edge_devices').where({ id }).first('key_grant')
      return { device_id: id, tenant_id: tenantId, grant: row?.key_grant ?? null }
    })

    // The tenant's pool keys, still encrypted: the device opens them with its granted key.
    authed.get('/pool-keys', { schema: { response: { 200: PoolKeyListResponse, ...commonErrors } } }, async (request) => ({
      pool_keys: (await poolKeys.list(app.knex, request.device.tenantId)).map((r) => poolKeyView(r)),
    }))

    // Figures the device read from the pools with keys it decrypted; never a key or secret.
    authed.post('/pool-stats', {
      schema: { body: PoolStatsBatch, response: { 200: PoolStatsAck, ...commonErrors } },
      bodyLimit: 1024 * 1024,
    }, async (request) => {
      const { batch_id, reports } = request.body
      const { id: deviceId, tenantId } = request.device
      checkPoolStatsReports(reports, new Date())
      const accepted = await app.knex.transaction((trx) => poolStats.store(trx, { batchId: batch_id, deviceId, tenantId, reports }))
      return { batch_id, accepted, duplicate: accepted === 0 }
    })

    authed.post('/telemetry', {
      schema: { body: TelemetryBatch, response: { 200: TelemetryAck, ...commonErrors } },
      bodyLimit: 4 * 1024 * 1024,
    }, async (request) => {
      const { batch_id, samples } = request.body
      const { id: deviceId, tenantId, siteId } = request.device
      for (const s of samples) {
        if (s.error && ADDRESS.test(s.error.message)) {
          throw new BadInput('store telemetry', `the error message of miner ${s.miner_id} contains an address; send the miner id only`)
        }
      }
      const stored = await storeTelemetryBatch(app.knex, { batchId: batch_id, deviceId, tenantId, siteId, samples })
      return stored ? { batch_id, accepted: samples.length, duplicate: false } : { batch_id, accepted: 0, duplicate: true }
    })
  }
  await app.register(deviceRoutes)
}

export default edge
