/**
 * Fan-out of live events to server-sent-event clients. Every API process runs
 * one hub: PostgreSQL NOTIFY says a feed grew, the hub reads the new rows of both
 * feeds (stream_events: telemetry and alerts; sync_changes: miner changes) below
 * the transaction horizon, in order, and hands each to the connected clients who
 * may see it. Because every process reads the same feeds, a client gets every
 * event whichever process it is connected to and whichever wrote it, and an event
 * id (the position in both feeds) lets a reconnecting client resume exactly.
 */
import fp from 'fastify-plugin'
import { atLeast } from '../../lib/access.ts'
import { formatPosition, type FeedCursor, type StreamPosition } from '../../lib/feed_cursor.ts'
import { POOL_STATS_EVENT } from '../../lib/pool_stats.ts'
import { SECURITY_ALERT_EVENT } from '../../lib/security_alerts.ts'
import type { Role } from '../../schemas/common.ts'
import type { Actor } from './auth.ts'

export interface StreamEvent {
  id: string
  type: string
  tenantId: string
  siteId: string | null
  /** The event's data as JSON text, serialised once for every client. */
  json: string
}

export interface StreamClient {
  actor: Actor
  send(event: StreamEvent): void
  close(reason: string): void
}

export interface StreamHub {
  /** Adds a client; with `since`, first replays what it missed (still kept: one hour). */
  attach(client: StreamClient, since?: StreamPosition): Promise<void>
  detach(client: StreamClient): void
  readonly position: StreamPosition
  readonly clients: number
}

declare module 'fastify' {
  interface FastifyInstance {
    streamHub: StreamHub
  }
}

const PAGE = 1000
// Miner changes are picked up by this timer (they send no NOTIFY), and so is a row
// that waited below the horizon for an older transaction.
const TICK_MS = 250

/** Who may receive an event type beyond its tenant and site: the least role, and whether every site is needed. */
interface Audience {
  least: Role
  allSites?: boolean
}

// Event types only some members receive, as they may read what the event tells. Every
// other type goes to the tenant's members allowed on its site.
const AUDIENCE: Record<string, Audience> = {
  // GET /api/security/alerts is admin+; alerts are tenant-wide, so site-limited admins get them too.
  [SECURITY_ALERT_EVENT]: { least: 'admin' },
  // Pool keys span every site: operators and above with all sites read them (routes/pool_keys.ts).
  [POOL_STATS_EVENT]: { least: 'operator', allSites: true },
}

// Used for live delivery and for a Last-Event-ID replay alike: skipping an event moves no
// cursor, so a client that may not see some events still resumes exactly.
function visibleTo(actor: Actor, e: StreamEvent): boolean {
  if (e.tenantId !== actor.tenantId) return false
  const audience = AUDIENCE[e.type]
  if (audience && !atLeast(actor.role, audience.least)) return false
  if (audience?.allSites && actor.allowedSiteIds !== null) return false
  return e.siteId === null || actor.allowedSiteIds === null || actor.allowedSiteIds.includes(e.siteId)
}

export default fp(
  async (app) => {
    const clients = new Set<StreamClient>()
    // Where live delivery stands; set from the horizon when the hub first reads.
    let position: StreamPosition | undefined
    // Drains and replays run one at a time, so a replay ends exactly where live delivery resumes.
    let queue: Promise<unknown> = Promise.resolve()
    const serial = <T>(work: () => Promise<T>): Promise<T> => {
      const next = queue.then(work, work)
      queue = next.catch(() => {})
      return next
    }

    async function horizon(): Promise<StreamPosition> {
      const { rows } = await app.knex.raw('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS x')
      const start: FeedCursor = { txid: rows[0].x, seq: 0 }
      return { events: start, changes: start }
    }

    // The two feeds the stream reads, and how a row of each becomes an event.
    const FEEDS = {
      events: {
        // As stored (json keeps the text): never parsed and printed again per read.
        sql: 'SELECT seq, txid::text AS txid, tenant_id, site_id, type, data::text AS json FROM stream_events',
        event: (r: Record<string, any>) => ({ type: r.type as string, json: r.json as string }),
      },
      changes: {
        sql: 'SELECT seq, txid::text AS txid, tenant_id, site_id, subject_id, revision FROM sync_changes',
        event: (r: Record<string, any>) => ({ type: 'miner.changed', json: JSON.stringify({ miner_id: r.subject_id, site_id: r.site_id, revision: Number(r.revision) }) }),
      },
    } as const

    /** The rows of both feeds after `from` (up to `to`), with the position after the last. */
    async function read(from: StreamPosition, to: StreamPosition | undefined, tenantId?: string): Promise<{ events: StreamEvent[]; end: StreamPosition }> {
      const out: StreamEvent[] = []
      let cursor = { ...from }
      const tenant = tenantId ? app.knex.raw('AND tenant_id = ?', [tenantId]).toQuery() : ''
      for (const feed of ['events', 'changes'] as const) {
        const upTo = to ? `AND (txid, seq) <= (${app.knex.raw('?::xid8, ?', [to[feed].txid, to[feed].seq]).toQuery()})` : ''
        for (;;) {
          const { rows } = await app.knex.raw(
            `${FEEDS[feed].sql} WHERE (txid, seq) > (?::xid8, ?) AND txid < pg_snapshot_xmin(pg_current_snapshot()) ${upTo} ${tenant}
              ORDER BY txid, seq LIMIT ${PAGE}`, [cursor[feed].txid, cursor[feed].seq])
          for (const r of rows) {
            cursor = { ...cursor, [feed]: { txid: r.txid, seq: Number(r.seq) } }
            out.push({ id: formatPosition(cursor), tenantId: r.tenant_id, siteId: r.site_id, ...FEEDS[feed].event(r) })
          }
          if (rows.length < PAGE) break
        }
      }
      return { events: out, end: cursor }
    }

    const drain = () => serial(async () => {
      if (closed) return
      // Nobody to deliver to: skip the rows (a client that resumes reads them itself).
      if (clients.size === 0) {
        position = await horizon()
        return
      }
      position ??= await horizon()
      const { events, end } = await read(position, undefined)
      for (const e of events) for (const c of clients) if (visibleTo(c.actor, e)) c.send(e)
      position = end
    }).catch((err: unknown) => app.log.warn({ err: { message: (err as Error).message } }, 'stream: cannot read the feeds; will retry'))

    let pending: NodeJS.Timeout | undefined
    const soon = () => {
      pending ??= setTimeout(() => {
        pending = undefined
        void drain()
      }, 5)
    }
    app.dbEvents.on('stream_events', soon)

    // A client waiting for its replay is not in `clients` yet, but a change to its membership
    // must still reach it: both sets are re-checked.
    const joining = new Set<StreamClient>()
    const refreshes = new WeakMap<StreamClient, number>()
    /**
     * Reads the client's current role and sites, or closes it when it is no longer a member
     * (or its membership cannot be read: it reconnects, authenticates again and resumes).
     */
    async function refresh(c: StreamClient): Promise<void> {
      // Only the latest refresh of a client counts: an older one that ends later holds an older role.
      const n = (refreshes.get(c) ?? 0) + 1
      refreshes.set(c, n)
      const actor = await app.resolveActor(c.actor.userId, c.actor.tenantId).catch((err: Error) => {
        app.log.warn({ err: { message: err.message } }, 'stream: cannot re-check a membership; closing the stream')
        return null
      })
      if (refreshes.get(c) !== n || !(clients.has(c) || joining.has(c))) return
      if (actor) {
        c.actor = actor
        return
      }
      clients.delete(c)
      joining.delete(c)
      c.close(actor === null ? 'cannot check membership' : 'membership ended')
    }
    // A member removed or moved to other roles or sites is re-checked on open streams at once.
    app.dbEvents.on('membership_changed', (key) => {
      for (const c of [...clients, ...joining]) if (`${c.actor.userId}:${c.actor.tenantId}` === key) void refresh(c)
    })
    // While the LISTEN connection was down, changes went unannounced: re-check every stream.
    app.dbEvents.onState((listening) => {
      if (listening) for (const c of [...clients, ...joining]) void refresh(c)
    })
    const tick = setInterval(() => void drain(), TICK_MS)
    tick.unref()
    let closed = false

    app.addHook('onReady', async () => {
      position = await horizon().catch(() => undefined)
    })
    app.addHook('preClose', async () => {
      closed = true
      clearInterval(tick)
      clearTimeout(pending)
      for (const c of [...clients, ...joining]) c.close('server shutting down')
      clients.clear()
      joining.clear()
    })

    app.decorate('streamHub', {
      attach: (client: StreamClient, since?: StreamPosition) => {
        joining.add(client)
        return serial(async () => {
          try {
            position ??= await horizon()
            if (since) {
              const { events } = await read(since, position, client.actor.tenantId)
              // A refresh that ended during the read has already set client.actor (or closed it).
              for (const e of events) if (joining.has(client) && visibleTo(client.actor, e)) client.send(e)
            }
          } catch (err) {
            joining.delete(client)
            throw err
          }
          // Closed while it waited or replayed (its membership ended, or it went away).
          if (!joining.delete(client)) return
          clients.add(client)
          // The role was read before attach was called; a change announced in between found the
          // client in neither set. Read it again before any live event goes to it.
          await refresh(client)
        })
      },
      detach: (client: StreamClient) => {
        clients.delete(client)
        joining.delete(client)
      },
      get position() {
        return position ?? { events: { txid: '0', seq: 0 }, changes: { txid: '0', seq: 0 } }
      },
      get clients() {
        return clients.size
      },
    })
  },
  { name: 'stream-hub', dependencies: ['db', 'db-events', 'auth'] },
)
