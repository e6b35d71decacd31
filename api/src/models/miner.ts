import type { Block } from '../../../e2ee/schema.ts'
import { BaseModel } from './base.ts'

/** A row of hosting_miners, with the seed's columns. Blocks are stored as they came. */
export class Miner extends BaseModel {
  static override tableName = 'hosting_miners'
  static override get jsonAttributes() {
    return ['encrypted_credentials', 'encrypted_connection_full']
  }
  declare id: string
  declare tenant_id: string
  declare site_id: string
  declare name: string
  declare model: string | null
  declare ip_address: string | null
  declare port: number | null
  declare encrypted_credentials: Block | null
  declare encrypted_connection_full: Block | null
  declare use_full_e2ee: boolean
  declare revision: string
  declare created_at: Date
  declare updated_at: Date
}

/** A hosting_miners row as plain data (what knex returns on the hot paths). */
export type MinerRow = Pick<Miner, 'id' | 'tenant_id' | 'site_id' | 'name' | 'model' | 'ip_address' | 'port'
  | 'encrypted_credentials' | 'encrypted_connection_full' | 'use_full_e2ee' | 'revision' | 'created_at' | 'updated_at'>
