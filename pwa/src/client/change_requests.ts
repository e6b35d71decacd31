/**
 * Four-eyes change requests, as the PWA files, lists, approves and executes them.
 * Sensitive changes (turning full E2EE off, revoking a device, a member's role)
 * need a second owner or admin: one files, another approves, then an owner or
 * admin executes. These calls need the network; nothing here is queued offline,
 * because an approval is someone else's decision made now.
 */
import { signal } from '@preact/signals'
import type { ChangeRequest, Role } from '../shared/api_types.ts'
import { api } from './api.ts'
import { session } from './state.ts'

/** Open requests (pending or approved) as last read, for the panels that show them. */
export const openChanges = signal<ChangeRequest[]>([])

const token = () => session.value?.token ?? null

/** Reads the open requests the caller may see (operators: their own). */
export async function refreshChanges(): Promise<ChangeRequest[]> {
  const [pending, approved] = await Promise.all([
    api<{ changes: ChangeRequest[] }>('GET', '/api/changes?status=PENDING', token()),
    api<{ changes: ChangeRequest[] }>('GET', '/api/changes?status=APPROVED', token()),
  ])
  openChanges.value = [...pending.changes, ...approved.changes]
  return openChanges.value
}

/** The open DISABLE_FULL_E2EE request for a miner, if any. */
export function openDisableRequest(minerId: string): ChangeRequest | undefined {
  return openChanges.value.find((c) => c.request_type === 'DISABLE_FULL_E2EE' && c.target_id === minerId)
}

/** Files a request to turn a miner's full E2EE off. */
export async function requestDisableFullE2ee(minerId: string, reason: string): Promise<ChangeRequest> {
  const filed = await api<ChangeRequest>('POST', '/api/changes', token(), { request_type: 'DISABLE_FULL_E2EE', target_type: 'miner', target_id: minerId, reason })
  await refreshChanges()
  return filed
}

/** The open request of `type` for a target (a device, the tenant…), if any. */
export function openRequestFor(type: ChangeRequest['request_type'], targetId: string): ChangeRequest | undefined {
  return openChanges.value.find((c) => c.request_type === type && c.target_id === targetId)
}

/** Files a request to revoke an edge device; once approved and executed its token stops working. */
export async function requestDeviceRevoke(deviceId: string, reason: string): Promise<ChangeRequest> {
  const filed = await api<ChangeRequest>('POST', '/api/changes', token(), { request_type: 'DEVICE_REVOKE', target_type: 'device', target_id: deviceId, reason })
  await refreshChanges()
  return filed
}

/**
 * Files a request to change a member's role or sites (`allowed_site_ids` null: every site).
 * It takes effect only once another owner or admin approves and someone executes it.
 */
export async function requestRoleChange(userId: string, reason: string, action: { role?: Role; allowed_site_ids?: string[] | null }): Promise<ChangeRequest> {
  const filed = await api<ChangeRequest>('POST', '/api/changes', token(), { request_type: 'ROLE_CHANGE', target_type: 'member', target_id: userId, reason, requested_action: action })
  await refreshChanges()
  return filed
}

/** Approves or rejects someone else's request. */
export async function decide(id: string, verdict: 'approve' | 'reject'): Promise<void> {
  await api<ChangeRequest>('POST', `/api/changes/${id}/${verdict}`, token(), {})
  await refreshChanges()
}

/**
 * Executes an approved request. Turning full E2EE off sends the address back in
 * plain text, decrypted on this device: that is what Plan A means.
 */
export async function execute(id: string, body: { ip_address?: string; port?: number } = {}): Promise<void> {
  await api<ChangeRequest>('POST', `/api/changes/${id}/execute`, token(), body)
  await refreshChanges()
}
