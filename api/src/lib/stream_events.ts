/**
 * Appends one event to the live stream's feed (`stream_events`). A trigger on the
 * table NOTIFYs every API process, whose hub delivers the event to the clients
 * allowed to see it (tenant, and site when it has one). Written in the caller's
 * transaction, so the event exists exactly when what it announces does.
 */
import type { Knex } from 'knex'

export interface NewStreamEvent {
  tenantId: string
  /** Null: tenant-wide; else only members allowed on this site see it. */
  siteId: string | null
  type: string
  data: unknown
}

export async function publishStreamEvent(db: Knex | Knex.Transaction, event: NewStreamEvent): Promise<void> {
  await db('stream_events').insert({ tenant_id: event.tenantId, site_id: event.siteId, type: event.type, data: JSON.stringify(event.data) })
}
