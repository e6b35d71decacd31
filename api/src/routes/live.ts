/** What the dashboard reads: live state, totals, alerts, thresholds and chart history. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Knex } from 'knex'
import { BadInput } from '../errors.ts'
import { findVisibleMiner, findVisibleSite, requireRole } from '../lib/access.ts'
import { DEFAULT_THRESHOLDS } from '../lib/alerts.ts'
import { appendAudit } from '../lib/audit.ts'
import type { Actor } from '../plugins/app/auth.ts'
import { SiteParams, commonErrors } from '../schemas/common.ts'
import {
  AlertSettings, AlertsQuery, AlertsResponse, FarmLiveResponse, HistoryQuery, HistoryResponse, LiveMiner, SiteLiveResponse,
} from '../schemas/live.ts'
import type { Static } from 'typebox'

const TOTALS = `count(m.id)::int AS miners, count(l.miner_id) FILTER (WHERE l.online)::int AS online,
  count(DISTINCT a.miner_id)::int AS alerting,
  round(coalesce(sum(l.hashrate_ths) FILTER (WHERE l.online), 0)::numeric, 3)::float8 AS hashrate_ths,
  coalesce(sum(l.power_w) FILTER (WHERE l.online), 0)::float8 AS power_w`
const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString())

function visibleSites(db: Knex, actor: Actor) {
  return db('sites').where({ tenant_id: actor.tenantId }).modify((q) => (actor.allowedSiteIds ? q.whereIn('id', actor.allowedSiteIds) : q))
}

const live: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate)

  app.get('/live', { schema: { response: { 200: FarmLiveResponse, ...commonErrors } } }, async (request) => {
    const { rows } = await app.knex.raw(
      `SELECT s.id AS site_id, s.name, ${TOTALS}
         FROM (${visibleSites(app.knex, request.actor).select('id', 'name').toQuery()}) s
         LEFT JOIN hosting_miners m ON m.site_id = s.id
         LEFT JOIN miner_live l ON l.miner_id = m.id
         -- One row per alerting miner: a miner with two open alerts must not count twice.
         LEFT JOIN (SELECT DISTINCT miner_id FROM alerts WHERE cleared_at IS NULL) a ON a.miner_id = m.id
        GROUP BY s.id, s.name ORDER BY s.name`)
    const sites = rows.map((r: Record<string, unknown>) => ({ site_id: r.site_id, name: r.name, totals: { miners: r.miners, online: r.online, alerting: r.alerting, hashrate_ths: r.hashrate_ths, power_w: r.power_w } }))
    const sum = (k: 'miners' | 'online' | 'alerting' | 'hashrate_ths' | 'power_w') => sites.reduce((n: number, s: { totals: Record<string, number> }) => n + s.totals[k]!, 0)
    const hashrate = Math.round(sum('hashrate_ths') * 1000) / 1000
    return { totals: { miners: sum('miners'), online: sum('online'), alerting: sum('alerting'), hashrate_ths: hashrate, power_w: sum('power_w') }, sites }
  })

  app.get('/sites/:siteId/live', { schema: { params: SiteParams, response: { 200: SiteLiveResponse, ...commonErrors } } }, async (request) => {
    const site = await findVisibleSite(app.knex, request.actor, request.params.siteId)
    const { rows } = await app.knex.raw(
      `SELECT m.id AS miner_id, m.name, l.at, l.online, l.hashrate_ths, l.hashrate_ewma_ths, l.temp_chip_max_c, l.power_w,
              coalesce(array_agg(a.type) FILTER (WHERE a.type IS NOT NULL), '{}') AS alerts
         FROM hosting_miners m
         LEFT JOIN miner_live l ON l.miner_id = m.id
         LEFT JOIN alerts a ON a.miner_id = m.id AND a.cleared_at IS NULL
        WHERE m.site_id = ? AND m.tenant_id = ?
        GROUP BY m.id, m.name, l.miner_id ORDER BY m.name`, [site.id, site.tenant_id])
    const miners = rows.map((r: Record<string, unknown>) => ({
      miner_id: r.miner_id, name: r.name, at: iso(r.at as Date | null), online: r.online, hashrate_ths: r.hashrate_ths,
      hashrate_avg_ths: r.hashrate_ewma_ths, temp_chip_max_c: r.temp_chip_max_c, power_w: r.power_w, alerts: r.alerts,
    })) as Static<typeof LiveMiner>[]
    const on = miners.filter((m) => m.online)
    return {
      site_id: site.id,
      miners,
      totals: {
        miners: miners.length, online: on.length, alerting: miners.filter((m) => m.alerts.length > 0).length,
        hashrate_ths: Math.round(on.reduce((n, m) => n + (m.hashrate_ths ?? 0), 0) * 1000) / 1000, power_w: on.reduce((n, m) => n + (m.power_w ?? 0), 0),
      },
    }
  })

  app.get('/alerts', { schema: { querystring: AlertsQuery, response: { 200: AlertsResponse, ...commonErrors } } }, async (request) => {
    const { state = 'open', site_id, limit = 200 } = request.query
    if (site_id) await findVisibleSite(app.knex, request.actor, site_id)
    const rows = await app.knex('alerts')
      .where({ tenant_id: request.actor.tenantId })
      .modify((q) => (request.actor.allowedSiteIds ? q.whereIn('site_id', request.actor.allowedSiteIds) : q))
      .modify((q) => (site_id ? q.where({ site_id }) : q))
      .modify((q) => (state === 'open' ? q.whereNull('cleared_at') : q))
      .orderBy('raised_at', 'desc')
      .limit(limit)
    return { alerts: rows.map((a: Record<string, unknown> & { raised_at: Date; cleared_at: Date | null }) => ({ ...a, id: String(a.id), raised_at: iso(a.raised_at)!, cleared_at: iso(a.cleared_at) })) }
  })

  app.get('/sites/:siteId/alert-settings', { schema: { params: SiteParams, response: { 200: AlertSettings, ...commonErrors } } }, async (request) => {
    const site = await findVisibleSite(app.knex, request.actor, request.params.siteId)
    return (await app.knex('site_alert_settings').where({ site_id: site.id }).first('temp_limit_c', 'hashrate_drop_share', 'reject_rate_limit')) ?? DEFAULT_THRESHOLDS
  })

  app.put('/sites/:siteId/alert-settings', { schema: { params: SiteParams, body: AlertSettings, response: { 200: AlertSettings, ...commonErrors } } }, async (request) => {
    const actor = request.actor
    const site = await findVisibleSite(app.knex, actor, request.params.siteId)
    requireRole(actor, 'admin', 'change alert thresholds')
    await app.knex.transaction(async (trx) => {
      await trx('site_alert_settings').insert({ site_id: site.id, tenant_id: actor.tenantId, ...request.body }).onConflict('site_id').merge()
      await appendAudit(trx, { tenantId: actor.tenantId, actorType: 'user', actorId: actor.userId, action: 'site.alert_settings.set', targetType: 'site', targetId: site.id, details: request.body })
    })
    return request.body
  })

  // 1 h from raw samples by the minute; 24 h and 7 d from the 5-minute rollups.
  app.get('/history', { schema: { querystring: HistoryQuery, response: { 200: HistoryResponse, ...commonErrors } } }, async (request) => {
    const { range, site_id, miner_id } = request.query
    if (!site_id === !miner_id) throw new BadInput('read history', 'give exactly one of site_id and miner_id')
    const scope = miner_id
      ? { column: 'miner_id', id: (await findVisibleMiner(app.knex, request.actor, miner_id, ['tenant_id'])).id }
      : { column: 'site_id', id: (await findVisibleSite(app.knex, request.actor, site_id!)).id }
    const spec = { '1h': { interval: '1 hour', bucket: 60 }, '24h': { interval: '24 hours', bucket: 300 }, '7d': { interval: '7 days', bucket: 1800 } }[range]
    // A site's point sums its miners' per-bucket averages; a miner's is its own average.
    const sql = range === '1h'
      ? `SELECT t, sum(h) AS hashrate_ths, max(tc) AS temp_chip_max_c, sum(p) AS power_w, count(*) FILTER (WHERE o)::int AS online FROM (
           SELECT date_bin(interval '${spec.bucket} seconds', at, 'epoch') AS t, miner_id, avg(hashrate_ths) FILTER (WHERE online) AS h,
                  max(temp_chip_max_c) AS tc, avg(power_w) FILTER (WHERE online) AS p, bool_or(online) AS o
             FROM telemetry WHERE ${scope.column} = ? AND tenant_id = ? AND at > now() - interval '${spec.interval}' GROUP BY 1, 2) x
         GROUP BY t ORDER BY t`
      : `SELECT t, sum(h) AS hashrate_ths, max(tc) AS temp_chip_max_c, sum(p) AS power_w, count(*) FILTER (WHERE o)::int AS online FROM (
           SELECT date_bin(interval '${spec.bucket} seconds', bucket, 'epoch') AS t, miner_id, avg(hashrate_ths_avg) AS h,
                  max(temp_chip_max_c) AS tc, avg(power_w_avg) AS p, bool_or(online_samples > 0) AS o
             FROM telemetry_5m WHERE ${scope.column} = ? AND tenant_id = ? AND bucket > now() - interval '${spec.interval}' GROUP BY 1, 2) x
         GROUP BY t ORDER BY t`
    const { rows } = await app.knex.raw(sql, [scope.id, request.actor.tenantId])
    return {
      range, bucket_seconds: spec.bucket,
      points: rows.map((r: Record<string, unknown>) => ({ t: iso(r.t as Date)!, hashrate_ths: r.hashrate_ths as number | null, temp_chip_max_c: r.temp_chip_max_c as number | null, power_w: r.power_w as number | null, online: r.online as number })),
    }
  })
}

export default live
