import type { WrappedKeyring } from '../../../e2ee/schema.ts'
import { BaseModel } from './base.ts'

/** A tenant's wrapped data key. The server holds it but has no way to unwrap it. */
export class Keyring extends BaseModel {
  static override tableName = 'keyrings'
  static override idColumn = 'tenant_id'
  static override get jsonAttributes() {
    return ['kdf', 'wrapped_key']
  }
  declare tenant_id: string
  declare kid: string
  declare kdf: WrappedKeyring['kdf']
  declare wrapped_key: WrappedKeyring['wrapped_key']
  declare revision: string
  declare created_at: Date
  declare updated_at: Date
}
