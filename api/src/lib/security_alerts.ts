/**
 * What one security alert leaves behind: its security_alerts row, an audit event,
 * and, for a tenant, a `security.alert` event on the live stream that only its owners
 * and admins receive (the hub's role rule, plugins/app/stream_hub.ts). All in the
 * caller's transaction, so the stream announces exactly the alerts that are stored.
 */
import type { Knex } from 'knex'
import type { SecurityAlert, SecurityAlertKind } from '../schemas/security.ts'
import { appendAudit } from './audit.ts'
import { publishStreamEvent } from './stream_events.ts'

/** The stream event type of a raised security alert. */
export const SECURITY_ALERT_EVENT = 'security.alert'

type SecurityAlertRow = { id: string | number; kind: SecurityAlertKind; subject_type: string; subject_id: string; count: number; window_s: number; at: Date | string }

/** A stored alert as the API answers it (GET /api/security/alerts, and the stream's event). */
export const securityAlertView = (r: SecurityAlertRow): SecurityAlert => ({
  id: String(r.id), kind: r.kind, subject_type: r.subject_type, subject_id: r.subject_id, count: r.count, window_s: r.window_s, at: new Date(r.at).toISOString(),
})

/**
 * Stores one alert for `tenantId` (null when no tenant can be named: then nobody is streamed to).
 * @param subject ids or hashes only: the event goes to every owner and admin of the tenant
 */
export async function recordSecurityAlert(
  trx: Knex.Transaction,
  tenantId: string | null,
  alert: { kind: SecurityAlertKind; subject: { type: string; id: string }; count: number; windowS: number },
): Promise<void> {
  const [row]: SecurityAlertRow[] = await trx('security_alerts')
    .insert({ tenant_id: tenantId, kind: alert.kind, subject_type: alert.subject.type, subject_id: alert.subject.id, count: alert.count, window_s: alert.windowS })
    .returning(['id', 'kind', 'subject_type', 'subject_id', 'count', 'window_s', 'at'])
  await appendAudit(trx, { tenantId, actorType: 'system', actorId: null, action: 'security.alert', targetType: alert.subject.type, targetId: alert.subject.id, details: { kind: alert.kind, count: alert.count } })
  if (tenantId) await publishStreamEvent(trx, { tenantId, siteId: null, type: SECURITY_ALERT_EVENT, data: securityAlertView(row!) })
}
