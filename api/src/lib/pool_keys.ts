/**
 * The pool-key repository: rows of `secret_blocks` with kind `pool_api_key`, and
 * their earlier versions in `secret_block_versions`. Methods take the knex or the
 * caller's transaction, so the route owns the transaction.
 */
import type { Knex } from 'knex'
import type { BlockV2 } from '../../../e2ee/schema.ts'
import type { PoolKeyView } from '../schemas/pool_keys.ts'

export interface PoolKeyRow {
  id: string
  tenant_id: string
  label: string
  pool: string
  scopes: string[]
  fingerprint: string
  block: BlockV2
  version: number
  created_at: Date
  updated_at: Date
}

const iso = (d: Date) => new Date(d).toISOString()

/** A row as the API answers it. */
export function poolKeyView(row: PoolKeyRow, history?: PoolKeyView['history'], lastStats?: PoolKeyView['last_stats']): PoolKeyView {
  return {
    id: row.id, label: row.label, pool: row.pool, scopes: row.scopes, fingerprint: row.fingerprint, version: row.version,
    block: row.block, created_at: iso(row.created_at), updated_at: iso(row.updated_at), ...(history ? { history } : {}),
    ...(lastStats !== undefined ? { last_stats: lastStats } : {}),
  }
}

export const poolKeys = {
  /** The tenant's pool keys, by label. */
  list(db: Knex, tenantId: string): Promise<PoolKeyRow[]> {
    return db('secret_blocks').where({ tenant_id: tenantId, kind: 'pool_api_key' }).orderBy(['label', 'id'])
  },

  /** One pool key of the tenant (locked when `forUpdate`), or undefined. */
  find(db: Knex, tenantId: string, id: string, forUpdate = false): Promise<PoolKeyRow | undefined> {
    return db('secret_blocks').where({ id, tenant_id: tenantId, kind: 'pool_api_key' }).modify((q) => (forUpdate ? q.forUpdate() : q)).first()
  },

  /** Its earlier versions, newest first. */
  async history(db: Knex, id: string): Promise<NonNullable<PoolKeyView['history']>> {
    const rows: { version: number; fingerprint: string; block: BlockV2; created_at: Date; replaced_at: Date }[] = await db('secret_block_versions')
      .where({ block_id: id }).orderBy('version', 'desc')
    return rows.map((r) => ({ version: r.version, fingerprint: r.fingerprint, block: r.block, created_at: iso(r.created_at), replaced_at: iso(r.replaced_at) }))
  },

  async insert(trx: Knex.Transaction, row: Omit<PoolKeyRow, 'version' | 'created_at' | 'updated_at'> & { created_by: string }): Promise<PoolKeyRow> {
    const [inserted] = await trx('secret_blocks').insert({ ...row, kind: 'pool_api_key', block: JSON.stringify(row.block) }).returning('*')
    return inserted
  },

  /** Keeps the current version in the history, then stores the new one as version + 1. */
  async rotate(trx: Knex.Transaction, current: PoolKeyRow, fingerprint: string, block: BlockV2): Promise<PoolKeyRow> {
    await trx('secret_block_versions').insert({
      block_id: current.id, version: current.version, tenant_id: current.tenant_id, fingerprint: current.fingerprint,
      block: JSON.stringify(current.block), created_at: current.updated_at,
    })
    const [updated] = await trx('secret_blocks').where({ id: current.id })
      .update({ fingerprint, block: JSON.stringify(block), version: current.version + 1, updated_at: trx.fn.now() }).returning('*')
    return updated
  },
}
