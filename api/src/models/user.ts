import { BaseModel } from './base.ts'

export class User extends BaseModel {
  static override tableName = 'users'
  declare id: string
  declare email: string
  declare password_hash: string
  declare created_at: Date
}
