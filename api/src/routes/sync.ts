/**
 * GET /api/sync pages a device through every change it may see; POST /api/sync
 * applies its queued changes in order. See migrations/…_sync.ts for why the cursor
 * is a (transaction id, sequence) pair read only below the oldest running
 * transaction: that is what makes "every change exactly once" hold under
 * concurrent writers.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyError } from 'fastify'
import { requireRole } from '../lib/access.ts'
import { minerView } from '../lib/miner_view.ts'
import { RevisionConflict, planSecretChange, writeMinerBlock, type SecretChange } from '../lib/miner_block_write.ts'
import { refusePlaintext } from '../lib/validation.ts'
import type { MinerRow } from '../models/miner.ts'
import type { Actor } from '../plugins/app/auth.ts'
import { commonErrors } from '../schemas/common.ts'
import { PullQuery, PullResponse, PushBody, PushResponse, type ChangeResult, type SyncChange } from '../schemas/sync.ts'

const synced = (m: MinerRow) => ({ miner: minerView(m), encrypted_credentials: m.encrypted_credentials, encrypted_connection_full: m.encrypted_connection_full })

const sync: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  const siteFilter = (actor: Actor, column: string) =>
    actor.allowedSiteIds === null ? app.knex.raw('true') : app.knex.raw(`${column} = ANY(?::uuid[])`, [actor.allowedSiteIds])

  app.get('/', { schema: { querystring: PullQuery, response: { 200: PullResponse, ...commonErrors } } }, async (request) => {
    const actor = request.actor
    const limit = request.query.limit ?? 500
    const since = request.query.since
    // A fresh device (or one finishing the snapshot) reads current state by miner id,
    // below a horizon fixed at its first page; the feed then resends anything newer.
    if (!since || since.startsWith('s.')) {
      const [, horizonText, afterId] = since ? since.split('.') : []
      const horizon = horizonText ?? (await app.knex.raw('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS x')).rows[0].x
      const rows: MinerRow[] = await app.knex('hosting_miners')
        .where({ tenant_id: actor.tenantId })
        .andWhere(siteFilter(actor, 'site_id'))
        .modify((q) => (afterId ? q.where('id', '>', afterId) : q))
        .orderBy('id')
        .limit(limit)
      const done = rows.length < limit
      return {
        miners: rows.map(synced),
        cursor: done ? `c.${horizon}.0` : `s.${horizon}.${rows.at(-1)!.id}`,
        has_more: !done,
      }
    }
    const [, txid, seq] = since.split('.')
    const entries: { txid: string; seq: number; subject_id: string }[] = (await app.knex.raw(
      `SELECT c.txid::text AS txid, c.seq, c.subject_id FROM sync_changes c
        WHERE c.tenant_id = ? AND (c.txid, c.seq) > (?::xid8, ?) AND c.txid < pg_snapshot_xmin(pg_current_snapshot())
          AND ${siteFilter(actor, 'c.site_id').toQuery()}
        ORDER BY c.txid, c.seq LIMIT ?`,
      [actor.tenantId, txid!, Number(seq), limit],
    )).rows
    if (entries.length === 0) return { miners: [], cursor: since, has_more: false }
    const ids = [...new Set(entries.map((e) => e.subject_id))]
    const rows: MinerRow[] = await app.knex('hosting_miners').where({ tenant_id: actor.tenantId }).whereIn('id', ids).andWhere(siteFilter(actor, 'site_id'))
    const last = entries.at(-1)!
    return { miners: rows.map(synced), cursor: `c.${last.txid}.${last.seq}`, has_more: entries.length === limit }
  })

  /** The first answers to change ids already applied, in one query for a whole push. */
  async function storedResults(actor: Actor, ids: string[]): Promise<Map<string, ChangeResult>> {
    const rows: { change_id: string; result: Omit<ChangeResult, 'change_id'> }[] = await app.knex('sync_applied')
      .where({ tenant_id: actor.tenantId }).whereIn('change_id', ids).select('change_id', 'result')
    return new Map(rows.map((r) => [r.change_id, { change_id: r.change_id, ...r.result }]))
  }

  async function applyOne(actor: Actor, change: SyncChange, known: Map<string, ChangeResult>, retried = false): Promise<ChangeResult> {
    const stored = known.get(change.change_id)
    if (stored) return stored
    const secret: SecretChange = change.kind === 'credentials'
      ? { kind: 'credentials', block: change.block }
      : change.use_full_e2ee
        ? { kind: 'connection_full', use_full_e2ee: true, block: change.block }
        : { kind: 'connection_full', use_full_e2ee: false, ip_address: change.ip_address, ...(change.port ? { port: change.port } : {}) }
    const { write, role, what } = planSecretChange(secret)
    try {
      requireRole(actor, role, what)
      const saved = await writeMinerBlock(app.knex, actor, change.subject_id, { ...write, baseRevision: change.base_revision, changeId: change.change_id }, what)
      return { change_id: change.change_id, status: 'applied', revision: Number(saved.revision) }
    } catch (err) {
      if (err instanceof RevisionConflict) return { change_id: change.change_id, status: 'conflict', current: synced(err.current) }
      const e = err as FastifyError
      // The same change id racing itself: the other request applied it (or another tenant owns the id).
      if (e.code === '23505' && !retried) return applyOne(actor, change, await storedResults(actor, [change.change_id]), true)
      if (e.code === '23505') return { change_id: change.change_id, status: 'rejected', error: { statusCode: 409, message: 'Cannot apply the change: its change id was already used' } }
      if (!e.statusCode || e.statusCode >= 500) throw err
      return { change_id: change.change_id, status: 'rejected', error: { statusCode: e.statusCode, message: e.message } }
    }
  }

  app.post('/', {
    schema: { body: PushBody, response: { 200: PushResponse, ...commonErrors } },
    bodyLimit: 2 * 1024 * 1024,
    preValidation: async (request) => {
      const changes = (request.body as { changes?: unknown } | null)?.changes
      if (!Array.isArray(changes)) return
      for (const change of changes) {
        const disabling = (change as { use_full_e2ee?: unknown } | null)?.use_full_e2ee === false
        refusePlaintext(change, 'sync', disabling ? ['ip_address', 'port'] : [])
      }
    },
  }, async (request) => {
    const { changes } = request.body
    const known = await storedResults(request.actor, changes.map((c) => c.change_id))
    // A device's later change of a miner may build on its earlier one: those go in order.
    // Changes of different miners go at once, so that they share statements (group commit).
    const bySubject = new Map<string, number[]>()
    changes.forEach((change, index) => {
      const indexes = bySubject.get(change.subject_id)
      if (indexes) indexes.push(index)
      else bySubject.set(change.subject_id, [index])
    })
    const results = new Array<ChangeResult>(changes.length)
    await Promise.all([...bySubject.values()].map(async (indexes) => {
      for (const index of indexes) results[index] = await applyOne(request.actor, changes[index]!, known)
    }))
    return { results }
  })
}

export default sync
