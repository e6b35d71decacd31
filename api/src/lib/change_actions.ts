/**
 * What each change-request type checks and does. The checks run when a request is
 * filed, approved and executed (the world may change in between); the action runs
 * inside the execute transaction, so the request is EXECUTED exactly when its
 * action committed.
 */
import type { Knex } from 'knex'
import { BadInput, Conflict, Forbidden, NotFound } from '../errors.ts'
import type { Actor } from '../plugins/app/auth.ts'
import type { ExecuteChangeBody, RequestType, RequestedAction } from '../schemas/changes.ts'
import { canSeeSite, findVisibleMiner } from './access.ts'
import { appendAudit } from './audit.ts'
import type { ChangeRow } from './change_requests.ts'
import { checkGrantable } from './invitations.ts'
import { planSecretChange, writeMinerBlockIn } from './miner_block_write.ts'

const isEmpty = (o: object | undefined) => !o || Object.keys(o).length === 0

async function checkRoleChange(db: Knex, actor: Actor, userId: string, wanted: RequestedAction, action: string): Promise<void> {
  const member: { role: string; allowed_site_ids: string[] | null } | undefined = await db('memberships')
    .where({ user_id: userId, tenant_id: actor.tenantId }).first('role', 'allowed_site_ids')
  if (!member) throw new NotFound('Member')
  if (wanted.role === undefined && wanted.allowed_site_ids === undefined) {
    throw new BadInput(action, 'requested_action needs a new role, new allowed_site_ids, or both')
  }
  if (member.role === 'owner' && actor.role !== 'owner') throw new Forbidden(action, "only an owner can change an owner's membership")
  // The member's resulting access must be one the actor could grant.
  const role = wanted.role ?? (member.role as NonNullable<RequestedAction['role']>)
  await checkGrantable(db, actor, role, wanted.allowed_site_ids === undefined ? member.allowed_site_ids : wanted.allowed_site_ids, action)
  if (member.role === 'owner' && role !== 'owner') {
    const owners = await db('memberships').where({ tenant_id: actor.tenantId, role: 'owner' }).count<{ n: string }[]>({ n: '*' })
    if (Number(owners[0]!.n) < 2) throw new Conflict(action, 'the tenant would be left without an owner')
  }
}

/**
 * Checks that the target exists, is visible to `actor` (RULE-1, RULE-2; 404 if not)
 * and is in a state the request makes sense for (409 if not).
 */
export async function checkTarget(db: Knex, actor: Actor, type: RequestType, targetId: string, wanted: RequestedAction | undefined, action: string): Promise<void> {
  if (type !== 'ROLE_CHANGE' && !isEmpty(wanted)) throw new BadInput(action, `a ${type} request takes no requested_action`)
  switch (type) {
    case 'DISABLE_FULL_E2EE': {
      const miner = await findVisibleMiner(db, actor, targetId, ['use_full_e2ee'])
      if (!miner.use_full_e2ee) throw new Conflict(action, 'the miner is not in full E2EE mode')
      return
    }
    case 'DEVICE_REVOKE': {
      const device: { site_id: string; status: string } | undefined = await db('edge_devices').where({ id: targetId, tenant_id: actor.tenantId }).first('site_id', 'status')
      if (!device || !canSeeSite(actor, device.site_id)) throw new NotFound('Device')
      if (device.status === 'revoked') throw new Conflict(action, 'the device is already revoked')
      return
    }
    case 'ROLE_CHANGE':
      return checkRoleChange(db, actor, targetId, wanted ?? {}, action)
    case 'BATCH_REENCRYPT': {
      if (targetId !== actor.tenantId) throw new NotFound('Tenant')
      if (!(await db('keyrings').where({ tenant_id: actor.tenantId }).first('kid'))) throw new Conflict(action, 'the tenant has no keyring to rotate')
      const open = await db('key_rotations').where({ tenant_id: actor.tenantId }).whereNot({ status: 'COMPLETED' }).first('id')
      if (open) throw new Conflict(action, 'a rotation is already under way; finish it first')
    }
  }
}

/**
 * Performs an approved request's action in `trx`, with its audit event.
 * @returns the rotation a BATCH_REENCRYPT authorised
 */
export async function performChange(trx: Knex.Transaction, actor: Actor, change: ChangeRow, body: ExecuteChangeBody): Promise<{ rotation_id?: string }> {
  const action = 'execute the request'
  const audit = (what: string, targetType: string, details: Record<string, unknown> = {}) =>
    appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: what, targetType, targetId: change.target_id, details: { ...details, change_request_id: change.id } })
  if (change.request_type !== 'DISABLE_FULL_E2EE' && !isEmpty(body)) throw new BadInput(action, `a ${change.request_type} request is executed with an empty body`)
  await checkTarget(trx, actor, change.request_type, change.target_id, change.requested_action, action)
  switch (change.request_type) {
    case 'DISABLE_FULL_E2EE': {
      if (!body.ip_address) throw new BadInput(action, "turning full E2EE off needs the miner's ip_address (and port), decrypted on your device")
      const { write, what } = planSecretChange({ kind: 'connection_full', use_full_e2ee: false, ip_address: body.ip_address, ...(body.port ? { port: body.port } : {}) })
      // The miner write records its own audit event (miner.full_e2ee.disable).
      await writeMinerBlockIn(trx, actor, change.target_id, { ...write, details: { change_request_id: change.id }, changeRequestId: change.id }, what)
      return {}
    }
    case 'DEVICE_REVOKE': {
      // The token hash goes, so the device's next request gets 401; its key grant goes too.
      await trx('edge_devices').where({ id: change.target_id, tenant_id: actor.tenantId })
        .update({ status: 'revoked', revoked_at: trx.fn.now(), token_hash: null, enroll_code_hash: null, key_grant: null })
      await audit('device.revoke', 'device')
      return {}
    }
    case 'ROLE_CHANGE': {
      const wanted = change.requested_action
      await trx('memberships').where({ user_id: change.target_id, tenant_id: actor.tenantId }).update({
        ...(wanted.role !== undefined ? { role: wanted.role } : {}),
        ...(wanted.allowed_site_ids !== undefined ? { allowed_site_ids: wanted.allowed_site_ids } : {}),
      })
      await audit('member.role_change', 'member', { role: wanted.role ?? null, site_count: wanted.allowed_site_ids === undefined ? undefined : (wanted.allowed_site_ids?.length ?? null) })
      return {}
    }
    case 'BATCH_REENCRYPT': {
      const keyring: { kid: string } = await trx('keyrings').where({ tenant_id: actor.tenantId }).first('kid')
      const [rotation] = await trx('key_rotations').insert({ tenant_id: actor.tenantId, change_request_id: change.id, old_kid: keyring.kid }).returning(['id'])
      await audit('keyring.rotation.authorise', 'tenant', { rotation_id: rotation.id, old_kid: keyring.kid })
      return { rotation_id: rotation.id }
    }
  }
}
