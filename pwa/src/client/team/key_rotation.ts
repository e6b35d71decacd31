/**
 * Rotating the data key (after a device is revoked): a BATCH_REENCRYPT change
 * request, approved by a second owner or admin and executed, authorises it; then
 * this device makes the new keyring in the worker, starts the rotation, re-encrypts
 * every block the server still lists under the old kid, grants the remaining edge
 * devices the new key, and completes it. Each step reads what is left from the
 * server, so running it again after an interruption resumes where it stopped.
 */
import type { BlockKind, CredentialsResponse, ConnectionFullResponse, EdgeDevice, KeyRotation, KeyRotationState, PoolKey, Site, StoredBlock } from '../../shared/api_types.ts'
import { api } from '../api.ts'
import { refreshChanges } from '../change_requests.ts'
import { cryptoBridge } from '../crypto_bridge.ts'
import { keyring, loadKeyring } from '../session.ts'
import { lockStatus, session } from '../state.ts'
import { grantDevice, listDevices } from './devices.ts'

export type Rotation = KeyRotation
type RotationView = KeyRotation
type Remaining = NonNullable<KeyRotationState['remaining']>

const token = () => session.value?.token ?? null

/** The open rotation, if any, and what is still under the old kid. */
export function readRotation(): Promise<KeyRotationState> {
  return api('GET', '/api/keyring/rotation', token())
}

/** Files the four-eyes request that authorises a rotation of the tenant's data key. */
export async function requestRotation(reason: string): Promise<void> {
  const tenantId = session.value!.tenant.id
  await api('POST', '/api/changes', token(), { request_type: 'BATCH_REENCRYPT', target_type: 'tenant', target_id: tenantId, reason })
  await refreshChanges()
}

/** Progress as the screen shows it; `regrantLater` names devices to compare and grant by hand. */
export interface RotationProgress {
  done: number
  total: number
  step: 'starting' | 'reencrypting' | 'granting' | 'completing' | 'done'
  regrantLater: string[]
}

async function reencrypt(oldKeyring: RotationView['old_keyring'], kind: BlockKind, subjectId: string, block: StoredBlock, passphrase?: string): Promise<StoredBlock> {
  return cryptoBridge().call('reencryptBlock', { oldKeyring: oldKeyring!, kind, subjectId, block, ...(passphrase ? { passphrase } : {}) })
}

async function reencryptAll(rotation: RotationView, remaining: Remaining, tick: () => void, passphrase?: string): Promise<void> {
  for (const miner of remaining.miners) {
    for (const kind of miner.kinds) {
      if (kind === 'credentials') {
        const { encrypted_credentials } = await api<CredentialsResponse>('GET', `/api/miners/${miner.id}/credentials`, token())
        const block = await reencrypt(rotation.old_keyring, kind, miner.id, encrypted_credentials!, passphrase)
        await api('POST', `/api/miners/${miner.id}/credentials`, token(), { encrypted_credentials: block })
      } else {
        const { encrypted_connection_full } = await api<ConnectionFullResponse>('GET', `/api/miners/${miner.id}/connection_full`, token())
        const block = await reencrypt(rotation.old_keyring, kind, miner.id, encrypted_connection_full!, passphrase)
        await api('POST', `/api/miners/${miner.id}/connection_full`, token(), { use_full_e2ee: true, encrypted_connection_full: block })
      }
      tick()
    }
  }
  for (const id of remaining.pool_keys) {
    const current = await api<PoolKey>('GET', `/api/pool-keys/${id}`, token())
    const block = await reencrypt(rotation.old_keyring, 'pool_api_key', id, current.block, passphrase)
    // Same key and secret, so the same fingerprint; the server keeps the old version as history.
    await api('POST', `/api/pool-keys/${id}/rotate`, token(), { fingerprint: current.fingerprint, block, base_version: current.version })
    tick()
  }
}

/** Grants the new key to every active device that held an older one; returns those that need comparing first. */
async function regrantDevices(newKid: string, passphrase?: string): Promise<string[]> {
  const later: string[] = []
  const { sites } = await api<{ sites: Site[] }>('GET', '/api/sites', token())
  for (const site of sites) {
    const devices: EdgeDevice[] = await listDevices(site.id)
    for (const device of devices.filter((d) => d.status === 'active' && d.public_key && d.granted_kid && d.granted_kid !== newKid)) {
      try {
        await grantDevice(device, undefined, passphrase)
      } catch (e) {
        if ((e as { code?: string }).code !== 'needs_comparison' && (e as { code?: string }).code !== 'fingerprint_changed') throw e
        later.push(device.name)
      }
    }
  }
  return later
}

/**
 * Runs (or resumes) the tenant's rotation to the end, reporting progress.
 * `passphrase` only when the worker asked for it (code `needs_passphrase`).
 */
export async function runRotation(onProgress: (p: RotationProgress) => void, passphrase?: string): Promise<RotationProgress> {
  let { rotation, remaining } = await readRotation()
  if (!rotation) throw new Error('Cannot rotate the data key: no rotation is authorised; file a request and have it approved and executed first')
  const progress: RotationProgress = { done: rotation.blocks_done, total: rotation.blocks_total ?? 0, step: 'starting', regrantLater: [] }
  onProgress({ ...progress })
  if (rotation.status === 'AUTHORISED') {
    const next = await cryptoBridge().call('beginRotation', passphrase ? { passphrase } : {})
    const started = await api<RotationView>('POST', `/api/keyring/rotation/${rotation.id}/start`, token(), { keyring: next, base_revision: keyring.value!.revision })
    lockStatus.value = await cryptoBridge().call('adoptRotatedKey', { kid: next.kid })
    await loadKeyring()
    ;({ rotation, remaining } = await readRotation())
    progress.total = started.blocks_total ?? 0
  }
  if (rotation!.status === 'IN_PROGRESS' && remaining) {
    progress.step = 'reencrypting'
    progress.total = rotation!.blocks_total ?? remaining.count
    progress.done = progress.total - remaining.count
    onProgress({ ...progress })
    await reencryptAll(rotation!, remaining, () => {
      progress.done++
      onProgress({ ...progress })
    }, passphrase)
    progress.step = 'granting'
    onProgress({ ...progress })
    progress.regrantLater = await regrantDevices(rotation!.new_kid!, passphrase)
    progress.step = 'completing'
    onProgress({ ...progress })
    await api('POST', `/api/keyring/rotation/${rotation!.id}/complete`, token(), {})
  }
  await cryptoBridge().call('forgetOldKey', {})
  progress.step = 'done'
  onProgress({ ...progress })
  return progress
}
