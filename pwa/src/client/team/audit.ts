/** The tenant's audit log and the check of its hash chain, as owners and admins read them. */
import type { AuditEvent, AuditVerify } from '../../shared/api_types.ts'
import { api } from '../api.ts'
import { session } from '../state.ts'

const token = () => session.value?.token ?? null

/** The newest events first, at most `limit`. */
export async function listAudit(limit = 100): Promise<AuditEvent[]> {
  return (await api<{ events: AuditEvent[] }>('GET', `/api/audit?limit=${limit}`, token())).events
}

/** Re-checks every link of the chain on the server. */
export function verifyAudit(): Promise<AuditVerify> {
  return api<AuditVerify>('GET', '/api/audit/verify', token())
}

/** The check in plain words: "Chain intact, 12 events checked" or "Broken at event 7: …". */
export function describeVerify(result: AuditVerify): string {
  if (result.ok) return `Chain intact, ${result.checked} ${result.checked === 1 ? 'event' : 'events'} checked`
  return `Broken at event ${result.first_broken_id ?? '?'}: ${result.reason ?? 'no reason given'}`
}
