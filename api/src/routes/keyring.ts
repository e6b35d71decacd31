/**
 * The tenant keyring: the data key wrapped under the owner's passphrase-derived
 * KEK. The server stores the wrapped form and can never unwrap it. Here it is
 * created and re-wrapped (new passphrase, same kid); a new kid goes through a key
 * rotation (routes/key_rotation.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { BadInput, Conflict } from '../errors.ts'
import { requireRole } from '../lib/access.ts'
import { appendAudit } from '../lib/audit.ts'
import { Keyring } from '../models/keyring.ts'
import { commonErrors } from '../schemas/common.ts'
import { KeyringResponse, MIN_KEYRING_ITERATIONS, PutKeyringBody } from '../schemas/keyring.ts'

const view = (k: Keyring | undefined) =>
  k ? { keyring: { kid: k.kid, kdf: k.kdf, wrapped_key: k.wrapped_key }, revision: Number(k.revision) } : { keyring: null, revision: null }

const keyring: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  app.get('/', { schema: { response: { 200: KeyringResponse, ...commonErrors } } }, async (request) =>
    view(await Keyring.query(app.knex).findById(request.actor.tenantId)),
  )

  app.put('/', { schema: { body: PutKeyringBody, response: { 200: KeyringResponse, ...commonErrors } } }, async (request) => {
    const actor = request.actor
    const { keyring: incoming, base_revision } = request.body
    requireRole(actor, 'admin', 'change the keyring')
    if (incoming.kdf.iterations < MIN_KEYRING_ITERATIONS) {
      throw new BadInput('store the keyring', `its KDF runs ${incoming.kdf.iterations} iterations, below the floor of ${MIN_KEYRING_ITERATIONS}`)
    }
    const saved = await app.knex.transaction(async (trx) => {
      const current = await Keyring.query(trx).findById(actor.tenantId).forUpdate()
      const fields = { kid: incoming.kid, kdf: incoming.kdf, wrapped_key: incoming.wrapped_key }
      if (!current) {
        if (base_revision !== undefined) throw new Conflict('store the keyring', 'the tenant has no keyring yet; omit base_revision to create it')
        await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: 'keyring.create', targetType: 'keyring', targetId: incoming.kid })
        return Keyring.query(trx).insertAndFetch({ tenant_id: actor.tenantId, ...fields })
      }
      if (base_revision !== Number(current.revision)) {
        throw new Conflict('store the keyring', `it changed since you read it (now at revision ${current.revision}); reload it and try again`)
      }
      // A new data key strands every block under the old one: that is a four-eyes rotation.
      if (current.kid !== incoming.kid) {
        throw new Conflict('store the keyring', 'a new data key needs a BATCH_REENCRYPT change request; once executed, start the rotation with POST /api/keyring/rotation/:id/start')
      }
      await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: 'keyring.rewrap', targetType: 'keyring', targetId: incoming.kid })
      return Keyring.query(trx).patchAndFetchById(actor.tenantId, {
        ...fields,
        revision: trx.raw('revision + 1') as unknown as string,
        updated_at: trx.fn.now() as unknown as Date,
      })
    }).catch((err: { code?: string }) => {
      if (err.code === '23505') throw new Conflict('store the keyring', 'another device created the keyring at the same time; reload it')
      throw err
    })
    return view(saved)
  })
}

export default keyring
