import { BaseModel } from './base.ts'

export class Site extends BaseModel {
  static override tableName = 'sites'
  declare id: string
  declare tenant_id: string
  declare name: string
  declare location: string | null
  declare created_at: Date
}
