import { BaseModel } from './base.ts'

export class AuditEvent extends BaseModel {
  static override tableName = 'audit_events'
  static override get jsonAttributes() {
    return ['details']
  }
  declare id: string
  declare tenant_id: string | null
  declare actor_type: string
  declare actor_id: string | null
  declare action: string
  declare target_type: string | null
  declare target_id: string | null
  declare details: Record<string, unknown>
  declare at: Date
  /** Position in the tenant's chain; NULL (with the hashes) until sealed. */
  declare chain_seq: string | null
  declare prev_hash: string | null
  declare hash: string | null
}
