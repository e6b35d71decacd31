/**
 * GET /api/keyring/rotation and its start/complete steps (owner/admin). The server
 * never sees either data key: it swaps wrapped keyrings and counts blocks by kid.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Conflict, NotFound } from '../errors.ts'
import { requireRole } from '../lib/access.ts'
import { appendAudit } from '../lib/audit.ts'
import { blocksUnder, openRotation, rotationView, type RotationRow } from '../lib/key_rotation.ts'
import { IdParams, commonErrors } from '../schemas/common.ts'
import { RotationResponse, RotationView, StartRotationBody } from '../schemas/key_rotation.ts'
import { MIN_KEYRING_ITERATIONS } from '../schemas/keyring.ts'

const keyRotation: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  app.get('/', { schema: { response: { 200: RotationResponse, ...commonErrors } } }, async (request) => {
    requireRole(request.actor, 'admin', 'read the key rotation')
    const row = await openRotation(app.knex, request.actor.tenantId)
    if (!row) return { rotation: null, remaining: null }
    const remaining = row.old_kid && row.status === 'IN_PROGRESS' ? await blocksUnder(app.knex, request.actor.tenantId, row.old_kid) : null
    return { rotation: rotationView(row, remaining), remaining }
  })

  async function locked(trx: Parameters<Parameters<typeof app.knex.transaction>[0]>[0], tenantId: string, id: string, status: RotationRow['status'], action: string): Promise<RotationRow> {
    const row: RotationRow | undefined = await trx('key_rotations').where({ id, tenant_id: tenantId }).forUpdate().first()
    if (!row) throw new NotFound('Key rotation')
    if (row.status !== status) throw new Conflict(action, `the rotation is ${row.status}, not ${status}`)
    return row
  }

  // The new keyring replaces the old one at once, so every block written from now on
  // uses the new kid; the old wrapped keyring stays with the rotation until it completes.
  app.post('/:id/start', { schema: { params: IdParams, body: StartRotationBody, response: { 200: RotationView, ...commonErrors } } }, async (request) => {
    const actor = request.actor
    const action = 'start the key rotation'
    requireRole(actor, 'admin', action)
    const { keyring, base_revision } = request.body
    if (keyring.kdf.iterations < MIN_KEYRING_ITERATIONS) throw new Conflict(action, `the new keyring's KDF runs ${keyring.kdf.iterations} iterations, below the floor of ${MIN_KEYRING_ITERATIONS}`)
    const { row, remaining } = await app.knex.transaction(async (trx) => {
      const rotation = await locked(trx, actor.tenantId, request.params.id, 'AUTHORISED', action)
      const current = await trx('keyrings').where({ tenant_id: actor.tenantId }).forUpdate().first()
      if (!current || current.kid !== rotation.old_kid) throw new Conflict(action, 'the keyring changed since the rotation was authorised; file a new BATCH_REENCRYPT request')
      if (Number(current.revision) !== base_revision) throw new Conflict(action, `the keyring is at revision ${current.revision}; reload it`)
      if (keyring.kid === current.kid) throw new Conflict(action, 'the new keyring must have a new kid')
      const under = await blocksUnder(trx, actor.tenantId, current.kid)
      await trx('keyrings').where({ tenant_id: actor.tenantId }).update({
        kid: keyring.kid, kdf: keyring.kdf, wrapped_key: keyring.wrapped_key, revision: trx.raw('revision + 1'), updated_at: trx.fn.now(),
      })
      const [updated] = await trx('key_rotations').where({ id: rotation.id }).update({
        status: 'IN_PROGRESS', new_kid: keyring.kid, blocks_total: under.count, started_at: trx.fn.now(),
        old_keyring: JSON.stringify({ kid: current.kid, kdf: current.kdf, wrapped_key: current.wrapped_key }),
      }).returning('*')
      await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: 'keyring.rotation.start', targetType: 'keyring', targetId: keyring.kid, details: { rotation_id: rotation.id, previous_kid: current.kid, blocks: under.count } })
      return { row: updated as RotationRow, remaining: under }
    })
    return rotationView(row, remaining)
  })

  app.post('/:id/complete', { schema: { params: IdParams, response: { 200: RotationView, ...commonErrors } } }, async (request) => {
    const actor = request.actor
    const action = 'complete the key rotation'
    requireRole(actor, 'admin', action)
    const row = await app.knex.transaction(async (trx) => {
      const rotation = await locked(trx, actor.tenantId, request.params.id, 'IN_PROGRESS', action)
      const left = await blocksUnder(trx, actor.tenantId, rotation.old_kid!)
      if (left.count > 0) throw new Conflict(action, `${left.count} block(s) are still under the old keyring; re-encrypt them (GET /api/keyring/rotation lists them) and try again`)
      const [updated] = await trx('key_rotations').where({ id: rotation.id })
        .update({ status: 'COMPLETED', completed_at: trx.fn.now(), old_keyring: null, blocks_done: rotation.blocks_total ?? 0 }).returning('*')
      await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: 'keyring.rotation.complete', targetType: 'keyring', targetId: rotation.new_kid!, details: { rotation_id: rotation.id, previous_kid: rotation.old_kid } })
      return updated as RotationRow
    })
    return rotationView(row, null)
  })
}

export default keyRotation
