import { BaseModel } from './base.ts'
import type { Role } from '../schemas/common.ts'

export class Membership extends BaseModel {
  static override tableName = 'memberships'
  declare id: string
  declare user_id: string
  declare tenant_id: string
  declare role: Role
  /** NULL: every site of the tenant. */
  declare allowed_site_ids: string[] | null
  declare created_at: Date
}
