import { BaseModel } from './base.ts'

export class Tenant extends BaseModel {
  static override tableName = 'tenants'
  declare id: string
  declare name: string
  declare created_at: Date
}
