/**
 * live.ingest: telemetry samples/s stored through POST /api/edge/telemetry in
 * batches of 500 (raw rows, live state, alerts and stream events in one
 * transaction per batch), against PostgreSQL COPY of the same raw rows in the same
 * run (goal >= 0.3 of COPY), alternated over rounds, medians reported. The load is what a farm sends: four sites, each with
 * its own edge sending its batches one after another (as delivery.ts does), four
 * batches in flight in all. live.ingest.one_site sends a round's count of batches
 * for one site, four at once, which only a retry over a slow answer does: they wait on the
 * site's lock in turn (no goal; it shows what that lock costs).
 * live.stream.fanout: 1 000 SSE clients on one API process; p99 delay from the
 * start of the ingest request to each client receiving the event (goal <= 250 ms).
 * Both bounded in count and time, loopback only.
 */
import knexFactory from 'knex'
import { randomBytes, randomUUID } from 'node:crypto'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { connectSse, type SseConnection } from '../support/sse.ts'
import { result, type BenchResult, type BenchSuite } from './report.ts'
import { benchDatabase, call, startServer } from './servers.ts'
import { copyText } from '../../api/src/lib/copy_rows.ts'
import { TELEMETRY_COLUMNS, telemetryRow } from '../../api/src/lib/live_ingest.ts'

const MINERS = 500
const BATCHES = Number(process.env.BENCH_LIVE_BATCHES ?? 60)
// Route and baseline alternate, each timed once a round; the medians are reported. One
// baseline COPY takes well under a second, so a single one was at the mercy of a
// moment's noise on this shared machine (its rate went from 35k to 46k between runs).
const ROUNDS = Number(process.env.BENCH_LIVE_ROUNDS ?? 3)
const SENDERS = Number(process.env.BENCH_SENDERS ?? 4)
// Sent before the clock starts, so the figure is the steady rate rather than JIT warm-up.
const WARMUP_BATCHES = 8
const CLIENTS = Number(process.env.BENCH_SSE_CLIENTS ?? 1000)
const EVENTS = 20

function sample(minerId: string, at: Date, i: number) {
  return {
    miner_id: minerId, at: at.toISOString(), online: i % 97 !== 0, error: null, hashrate_ths: 100 + (i % 13), hashrate_avg_ths: 100,
    accepted_shares: 1000 + i, rejected_shares: 1, stale_shares: 0, hardware_errors: 0, chip_temps_c: [70 + (i % 9), 71, 69],
    board_temps_c: [60, 61, 59], ambient_c: 25, fans_rpm: [5400, 5460], power_w: 3250, uptime_s: 86_400 + i,
    model: 'Antminer S19 Pro', firmware: '49.0.1.3', pool_status: 'Alive', warnings: [],
  }
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? NaN

const suite: BenchSuite = {
  name: 'live',
  async run(): Promise<BenchResult[]> {
    const database = await benchDatabase('hashinsight_bench_live')
    const db = knexFactory({ client: 'pg', connection: database.url, pool: { min: 0, max: 2 } })
    const server = await startServer('app', database.url, randomBytes(32).toString('hex'))
    const base = `http://127.0.0.1:${server.port}`
    try {
      const owner = await call(base, 'POST', '/api/auth/register', undefined, { email: 'live@example.com', password: 'live bench password', tenantName: 'Live' })
      // One site per sender, each with its miners and its enrolled edge.
      const sites = await Promise.all(Array.from({ length: SENDERS }, async (_, n) => {
        const site = await call(base, 'POST', '/api/sites', owner.token, { name: `Live site ${n}` })
        const minerRows = Array.from({ length: MINERS }, (_, i) => ({ tenant_id: owner.tenant.id, site_id: site.id, name: `m${i}`, ip_address: '10.0.0.1', port: 4028 }))
        const ids: string[] = (await db('hosting_miners').insert(minerRows).returning('id')).map((r: { id: string }) => r.id)
        const { enrollment_code } = await call(base, 'POST', `/api/sites/${site.id}/devices`, owner.token, { name: `bench rig ${n}` })
        const device: string = (await call(base, 'POST', '/api/edge/enroll', undefined, { code: enrollment_code })).token
        return { id: site.id as string, ids, device }
      }))
      const perSite = Math.ceil(BATCHES / SENDERS)
      // Per site: the warm-up, the rounds, then the one-site batches, 30 s apart, ending now.
      const span = WARMUP_BATCHES / SENDERS + (ROUNDS + SENDERS) * perSite
      const start = Date.now() - (span + 2) * 30_000
      // Batch b of a site: its miners' samples 30 s after batch b - 1.
      const makeBatch = (ids: string[], b: number) => ({ batch_id: randomUUID(), samples: ids.map((id, i) => sample(id, new Date(start + b * 30_000), b * MINERS + i)) })
      for (const site of sites) for (let b = 0; b < WARMUP_BATCHES / SENDERS; b++) await call(base, 'POST', '/api/edge/telemetry', site.device, makeBatch(site.ids, b))
      let nextBatch = WARMUP_BATCHES / SENDERS

      const client = new pg.Client(database.url)
      await client.connect()
      const routeRates: number[] = []
      const copyRates: number[] = []
      for (let round = 0; round < ROUNDS; round++) {
        const batches = sites.map((site) => Array.from({ length: perSite }, (_, b) => makeBatch(site.ids, nextBatch + b)))
        nextBatch += perSite
        // Ingest through the route: each site's edge sends its batches in order. Bodies are
        // serialised before the clock starts, as the baseline's COPY lines are: an edge sends what it spooled.
        const bodies = batches.map((ofSite) => ofSite.map((b) => JSON.stringify(b)))
        const t0 = performance.now()
        await Promise.all(sites.map(async (site, n) => {
          for (const body of bodies[n]!) await call(base, 'POST', '/api/edge/telemetry', site.device, body)
        }))
        routeRates.push((perSite * SENDERS * MINERS) / ((performance.now() - t0) / 1000))

        // Baseline: COPY of the same raw rows into the same table, each built and encoded as the route does.
        const lines = batches.flatMap((ofSite, n) => ofSite.map((b) =>
          copyText(b.samples.map((s) => telemetryRow({ tenantId: owner.tenant.id, siteId: sites[n]!.id, batchId: b.batch_id }, s)))))
        const t1 = performance.now()
        await pipeline(Readable.from(lines), client.query(copyFrom(`COPY telemetry (${TELEMETRY_COLUMNS.join(', ')}) FROM STDIN`)))
        copyRates.push((perSite * SENDERS * MINERS) / ((performance.now() - t1) / 1000))
      }
      await client.end()
      const routeRate = percentile(routeRates, 0.5)
      const copyRate = percentile(copyRates, 0.5)

      // The same number of batches for one site, SENDERS at once: they queue on the site's lock.
      const oneSite = Array.from({ length: perSite * SENDERS }, (_, b) => JSON.stringify(makeBatch(sites[0]!.ids, nextBatch + b)))
      let next = 0
      const t2 = performance.now()
      await Promise.all(Array.from({ length: SENDERS }, async () => {
        while (next < oneSite.length) await call(base, 'POST', '/api/edge/telemetry', sites[0]!.device, oneSite[next++])
      }))
      const oneSiteRate = (oneSite.length * MINERS) / ((performance.now() - t2) / 1000)

      // Fan-out: CLIENTS streams, EVENTS single-sample batches, delay per delivery.
      const { ticket } = await call(base, 'POST', '/api/stream/ticket', owner.token)
      const streams: SseConnection[] = []
      for (let i = 0; i < CLIENTS; i += 50) {
        streams.push(...(await Promise.all(Array.from({ length: Math.min(50, CLIENTS - i) }, () => connectSse(`${base}/api/stream?ticket=${encodeURIComponent(ticket)}`)))))
      }
      const sentAt: number[] = []
      for (let e = 0; e < EVENTS; e++) {
        sentAt[e] = performance.now()
        await call(base, 'POST', '/api/edge/telemetry', sites[0]!.device, { batch_id: randomUUID(), samples: [{ ...sample(sites[0]!.ids[0]!, new Date(), e), hashrate_ths: 5000 + e }] })
        await new Promise((r) => setTimeout(r, 100))
      }
      const delays: number[] = []
      const deadline = performance.now() + 10_000
      await Promise.all(streams.map(async (s) => {
        for (let e = 0; e < EVENTS; e++) {
          const got = await s.waitFor((x) => x.event === 'telemetry' && (x.data as { miners: { hashrate_ths: number }[] }).miners[0]!.hashrate_ths === 5000 + e, Math.max(1, deadline - performance.now())).catch(() => undefined)
          if (got) delays.push(got.receivedAt - sentAt[e]!)
        }
      }))
      for (const s of streams) s.close()
      const delivered = delays.length
      return [
        result('live.ingest', routeRate, 'samples/s', copyRate, `batches of ${MINERS}, ${SENDERS} sites each sending in order, ${perSite * SENDERS} batches a round after ${WARMUP_BATCHES} unmeasured; ` +
          `median of ${ROUNDS} rounds, route and baseline alternated (route ${routeRates.map(Math.round).join(', ')}; COPY ${copyRates.map(Math.round).join(', ')}); baseline: COPY of the same raw rows; goal >= 0.3`),
        result('live.ingest.one_site', oneSiteRate, 'samples/s', copyRate, `one round's count of batches for one site, ${SENDERS} at once (they queue on the site's lock); baseline: the COPY above; no goal`),
        result('live.stream.fanout.p99', percentile(delays, 0.99), 'ms', percentile(delays, 0.5),
          `${CLIENTS} SSE clients x ${EVENTS} events, ${delivered}/${CLIENTS * EVENTS} delivered; from ingest request start to receipt; baseline: the median; goal p99 <= 250 ms`),
      ]
    } finally {
      await server.stop()
      await db.destroy()
      await database.close()
    }
  },
}

export default [suite]
