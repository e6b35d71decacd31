/**
 * Remote control of miners (issue 9). Members issue commands their device sealed
 * under the tenant data key; the server keeps routing metadata and the seal, hands
 * the seal to the site's edge device (long-poll), and records per-miner results.
 * The server cannot read, alter or forge a command: the edge opens and checks it.
 * Audit events carry ids, action names and counts only.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Knex } from 'knex'
import { BadInput, Conflict, NotFound } from '../errors.ts'
import { containsAddress } from '../lib/address_text.ts'
import { canSeeSite, findVisibleSite, requireRole } from '../lib/access.ts'
import { appendAudit } from '../lib/audit.ts'
import { COMMAND_COLUMNS, commandSummary, commandView, type CommandRow, SUMMARY_COLUMNS, type SummaryRow } from '../lib/command_view.ts'
import { pgArray } from '../lib/pg_array.ts'
import { createCommandWaiters } from '../lib/command_waiters.ts'
import { publishStreamEvent } from '../lib/stream_events.ts'
import { refusePlaintext } from '../lib/validation.ts'
import { IdParams, commonErrors } from '../schemas/common.ts'
import {
  CommandListQuery, CommandListResponse, type CommandProgressEvent, CommandResponse, CommandResultAck, CommandResultBody, EdgeCommandsQuery,
  EdgeCommandsResponse, IssueCommandBody,
} from '../schemas/commands.ts'
import type { Static } from 'typebox'

/** Longest a command may stay valid: an old confirmation should not act days later. */
const MAX_LIFETIME_MS = 24 * 3600_000
/** A long-poll re-reads the table this often, in case a NOTIFY was missed. */
const RECHECK_MS = 2_000
const CHANNEL = 'command_issued'
/** A delivered command with no result after this long is handed out again. */
const REDELIVER_AFTER_S = 60

type Recorded = { miner_id: string; status: 'ok' | 'error' | 'unsupported'; message: string | null; at: Date }

/** Tells the site's members' devices what was just recorded, so watchers need not poll. */
function progress(trx: Knex.Transaction, row: SummaryRow, tally: Record<string, number>, recorded: Recorded[]): Promise<void> {
  const data: Static<typeof CommandProgressEvent> = {
    ...commandSummary(row, { ok: tally.ok ?? 0, error: tally.error ?? 0, unsupported: tally.unsupported ?? 0 }),
    results: recorded.map((r) => ({ miner_id: r.miner_id, status: r.status, message: r.message, at: new Date(r.at).toISOString() })),
  }
  return publishStreamEvent(trx, { tenantId: row.tenant_id, siteId: row.site_id, type: 'command.progress', data })
}

const commands: FastifyPluginAsyncTypebox = async (app) => {
  const waiters = createCommandWaiters()
  let closing = false
  app.dbEvents.on(CHANNEL, (siteId) => waiters.wake(siteId))
  // Waiting devices are answered (empty) at once, so a shutdown never waits 30 s for them.
  app.addHook('preClose', async () => {
    closing = true
    waiters.wakeAll()
  })

  const memberRoutes: FastifyPluginAsyncTypebox = async (members) => {
    members.addHook('onRequest', app.authenticate)

    members.post('/commands', {
      schema: { body: IssueCommandBody, response: { 201: CommandResponse, ...commonErrors } },
      bodyLimit: 1024 * 1024,
      // The params travel sealed; a plaintext password or pool field here is a client bug.
      preValidation: async (request) => refusePlaintext(request.body, 'issue the command'),
    }, async (request, reply) => {
      const actor = request.actor
      const { command_id: id, site_id: siteId, miner_ids: minerIds, action, expires_at: expiresAt, sealed } = request.body
      const site = await findVisibleSite(app.knex, actor, siteId)
      requireRole(actor, 'operator', 'issue a command')
      const expires = Date.parse(expiresAt)
      if (!(expires > Date.now() && expires <= Date.now() + MAX_LIFETIME_MS)) {
        throw new BadInput('issue the command', 'expires_at must be in the future and at most 24 hours ahead')
      }
      const row = await app.knex.transaction(async (trx) => {
        const keyring = await trx('keyrings').where({ tenant_id: actor.tenantId }).first('kid')
        if (!keyring) throw new Conflict('issue the command', 'the tenant has no keyring yet; commands are sealed under it')
        if (sealed.kid !== keyring.kid) throw new Conflict('issue the command', `it was sealed under keyring ${sealed.kid}, but the current keyring is ${keyring.kid}; seal it again`)
        if (sealed.counter !== 1) throw new BadInput('issue the command', 'a sealed command has counter 1')
        const [{ count } = { count: 0 }] = await trx('hosting_miners').where({ tenant_id: actor.tenantId, site_id: site.id })
          // One array parameter: a thousand-miner command made a thousand placeholders to parse and plan.
          .whereRaw('id = ANY(?::uuid[])', [minerIds]).count({ count: '*' })
        if (Number(count) !== minerIds.length) throw new BadInput('issue the command', `${minerIds.length - Number(count)} of the miners are not on this site`)
        const [created] = await trx('commands').insert({
          id, tenant_id: actor.tenantId, site_id: site.id, action, miner_ids: minerIds, miner_count: minerIds.length,
          issued_by: actor.userId, expires_at: new Date(expires), sealed: JSON.stringify(sealed),
        }).returning(SUMMARY_COLUMNS as unknown as string[]) as SummaryRow[]
        await appendAudit(trx, {
          tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: 'command.issue', targetType: 'command', targetId: id,
          details: { site_id: site.id, action, miners: minerIds.length },
        })
        await trx.raw('SELECT pg_notify(?, ?)', [CHANNEL, site.id])
        // The miner list is the one just validated; reading it back would parse it again.
        return { ...created!, miner_ids: minerIds }
      }).catch((err: { code?: string }) => {
        if (err.code === '23505') throw new Conflict('issue the command', 'a command with this id exists already')
        throw err
      })
      waiters.wake(site.id)
      return reply.code(201).send(await commandView(app.knex, row))
    })

    members.get('/commands', { schema: { querystring: CommandListQuery, response: { 200: CommandListResponse, ...commonErrors } } }, async (request) => {
      const actor = request.actor
      const { site_id: siteId, limit = 20 } = request.query
      if (siteId) await findVisibleSite(app.knex, actor, siteId)
      const rows: (SummaryRow & { ok: string; error: string; unsupported: string })[] = await app.knex('commands as c')
        .where('c.tenant_id', actor.tenantId)
        .modify((q) => (siteId ? q.where('c.site_id', siteId) : actor.allowedSiteIds ? q.whereIn('c.site_id', actor.allowedSiteIds) : q))
        .orderBy('c.issued_at', 'desc').limit(limit)
        .select(SUMMARY_COLUMNS.map((c) => `c.${c}`))
        .select(app.knex.raw(`(SELECT count(*) FILTER (WHERE status = 'ok') FROM command_results r WHERE r.command_id = c.id) AS ok`))
        .select(app.knex.raw(`(SELECT count(*) FILTER (WHERE status = 'error') FROM command_results r WHERE r.command_id = c.id) AS error`))
        .select(app.knex.raw(`(SELECT count(*) FILTER (WHERE status = 'unsupported') FROM command_results r WHERE r.command_id = c.id) AS unsupported`))
      return { commands: rows.map((r) => commandSummary(r, { ok: Number(r.ok), error: Number(r.error), unsupported: Number(r.unsupported) })) }
    })

    members.get('/commands/:id', { schema: { params: IdParams, response: { 200: CommandResponse, ...commonErrors } } }, async (request) => {
      const row: CommandRow | undefined = await app.knex('commands').where({ id: request.params.id, tenant_id: request.actor.tenantId }).first(COMMAND_COLUMNS)
      if (!row || !canSeeSite(request.actor, row.site_id)) throw new NotFound('Command')
      return commandView(app.knex, row)
    })
  }

  const deviceRoutes: FastifyPluginAsyncTypebox = async (devices) => {
    devices.addHook('onRequest', app.authenticateDevice)

    devices.get('/edge/commands', { schema: { querystring: EdgeCommandsQuery, response: { 200: EdgeCommandsResponse, ...commonErrors } } }, async (request) => {
      const { tenantId, siteId } = request.device
      const deadline = Date.now() + (request.query.wait_ms ?? 0)
      for (;;) {
        // One statement hands each pending command out once, even to racing requests. A
        // delivered one that produced nothing for a while (the answer was lost on the way)
        // goes out again: an edge that did receive it refuses the repeat, so it never runs twice.
        const claimed: { id: string; site_id: string; action: CommandRow['action']; miner_ids: string[]; expires_at: Date; sealed: never }[] =
          await app.knex('commands')
            .where({ tenant_id: tenantId, site_id: siteId })
            .andWhere((q) => q.where('status', 'pending').orWhere((stale) => stale
              .where('status', 'delivered')
              .andWhere('delivered_at', '<', app.knex.raw(`now() - make_interval(secs => ?)`, [REDELIVER_AFTER_S]))
              .whereNotExists(app.knex('command_results').whereRaw('command_results.command_id = commands.id'))))
            .andWhere('expires_at', '>', app.knex.fn.now())
            .update({ status: 'delivered', delivered_at: app.knex.fn.now() })
            .returning(['id', 'site_id', 'action', 'miner_ids', 'expires_at', 'sealed'])
        const left = deadline - Date.now()
        if (claimed.length > 0 || left <= 0 || request.raw.destroyed) {
          return { commands: claimed.map((c) => ({ ...c, expires_at: c.expires_at.toISOString() })) }
        }
        await waiters.wait(siteId, Math.min(left, RECHECK_MS))
        if (closing) return { commands: [] }
      }
    })

    devices.post('/edge/commands/:id/result', {
      schema: { params: IdParams, body: CommandResultBody, response: { 200: CommandResultAck, ...commonErrors } },
      bodyLimit: 2 * 1024 * 1024,
    }, async (request) => {
      const { id: deviceId, tenantId, siteId } = request.device
      const { results = [], refused } = request.body
      const action = 'record the command result'
      for (const text of [...results.map((r) => r.message ?? ''), refused?.message ?? '']) {
        if (containsAddress(text)) throw new BadInput(action, 'a message contains an address; name miners by id only')
      }
      const reported = pgArray(results.map((r) => r.miner_id))
      return app.knex.transaction(async (trx) => {
        // The command's miner list stays in the database: a thousand-miner command's list,
        // parsed again for every part of its results, was a sixth of the API's CPU for it
        // (75 of 452 ms in a profile of set_pools to 1 000 miners).
        const { rows: [row] }: { rows: (SummaryRow & { stranger: string | null })[] } = await trx.raw(
          `SELECT ${SUMMARY_COLUMNS.join(', ')},
                  (SELECT r FROM unnest(?::uuid[]) AS r EXCEPT SELECT unnest(c.miner_ids) LIMIT 1) AS stranger
             FROM commands c WHERE id = ? AND tenant_id = ? AND site_id = ? FOR UPDATE`,
          [reported, request.params.id, tenantId, siteId],
        )
        if (!row) throw new NotFound('Command')
        if (row.status !== 'delivered') throw new Conflict(action, `the command is ${row.status}, not awaiting results`)
        if (row.stranger) throw new BadInput(action, `miner ${row.stranger} is not one of the command's miners`)
        if (refused) {
          await trx('commands').where({ id: row.id }).update({ status: 'refused', refusal_reason: refused.reason, refusal_message: refused.message, completed_at: trx.fn.now() })
          await appendAudit(trx, { tenantId, actorType: 'device', actorId: deviceId, action: 'command.refuse', targetType: 'command', targetId: row.id, details: { reason: refused.reason } })
          await progress(trx, { ...row, status: 'refused', refusal_reason: refused.reason, refusal_message: refused.message }, {}, [])
          return { id: row.id, status: 'refused' as const, recorded: 0 }
        }
        // One array per column: a row of placeholders per miner was the bulk of building the statement.
        const recorded: Recorded[] = results.length === 0 ? [] : (await trx.raw(
          `INSERT INTO command_results (command_id, miner_id, status, message)
           SELECT ?, r.miner_id, r.status, r.message FROM unnest(?::uuid[], ?::text[], ?::text[]) AS r (miner_id, status, message)
           ON CONFLICT (command_id, miner_id) DO UPDATE SET status = excluded.status, message = excluded.message, at = excluded.at
           RETURNING miner_id, status, message, at`,
          [row.id, reported, pgArray(results.map((r) => r.status)), pgArray(results.map((r) => r.message ?? null))],
        )).rows
        const counts: { status: string; n: string }[] = await trx('command_results').where({ command_id: row.id }).groupBy('status').select('status', trx.raw('count(*) AS n'))
        const tally = Object.fromEntries(counts.map((c) => [c.status, Number(c.n)]))
        const done = Object.values(tally).reduce((a, b) => a + b, 0) >= row.miner_count
        if (done) {
          await trx('commands').where({ id: row.id }).update({ status: 'done', completed_at: trx.fn.now() })
          await appendAudit(trx, {
            tenantId, actorType: 'device', actorId: deviceId, action: 'command.complete', targetType: 'command', targetId: row.id,
            details: { ok: tally.ok ?? 0, error: tally.error ?? 0, unsupported: tally.unsupported ?? 0 },
          })
        }
        await progress(trx, done ? { ...row, status: 'done' } : row, tally, recorded)
        return { id: row.id, status: done ? 'done' as const : 'delivered' as const, recorded: results.length }
      })
    })
  }

  await app.register(memberRoutes)
  await app.register(deviceRoutes)
}

export default commands
