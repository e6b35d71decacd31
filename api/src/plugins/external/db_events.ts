/**
 * PostgreSQL LISTEN/NOTIFY for the app: one dedicated connection that listens on
 * the channels plugins subscribe to, reconnecting with backoff. While it is down,
 * subscribers are told (`onDown`) so caches fed by it stop trusting themselves.
 */
import fp from 'fastify-plugin'
import pg from 'pg'

export interface DbEvents {
  /** Calls `handler` with each payload sent on `channel`. */
  on(channel: string, handler: (payload: string) => void): void
  /** Called when notifications may have been missed (disconnect) and when they flow again. */
  onState(handler: (listening: boolean) => void): void
  readonly listening: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    dbEvents: DbEvents
  }
}

export default fp(
  async (app) => {
    const handlers = new Map<string, ((payload: string) => void)[]>()
    const stateHandlers: ((listening: boolean) => void)[] = []
    let client: pg.Client | undefined
    let listening = false
    let closed = false
    let retry: NodeJS.Timeout | undefined
    let backoff = 100

    const setState = (value: boolean) => {
      if (listening === value) return
      listening = value
      for (const h of stateHandlers) h(value)
    }

    async function connect(): Promise<void> {
      const c = new pg.Client({ connectionString: app.config.databaseUrl })
      c.on('notification', (msg) => {
        for (const h of handlers.get(msg.channel) ?? []) h(msg.payload ?? '')
      })
      const lost = () => {
        if (client !== c) return
        client = undefined
        setState(false)
        void c.end().catch(() => {})
        schedule()
      }
      c.on('error', lost)
      c.on('end', lost)
      try {
        await c.connect()
        for (const channel of handlers.keys()) await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`)
        client = c
        backoff = 100
        setState(true)
      } catch (err) {
        app.log.warn({ err: { message: (err as Error).message } }, 'cannot listen for database events; retrying')
        await c.end().catch(() => {})
        schedule()
      }
    }

    function schedule(): void {
      if (closed || retry) return
      retry = setTimeout(() => {
        retry = undefined
        void connect()
      }, backoff)
      retry.unref()
      backoff = Math.min(backoff * 2, 5_000)
    }

    app.decorate('dbEvents', {
      on(channel: string, handler: (payload: string) => void) {
        const list = handlers.get(channel)
        if (list) list.push(handler)
        else {
          handlers.set(channel, [handler])
          void client?.query(`LISTEN ${pg.escapeIdentifier(channel)}`).catch(() => {})
        }
      },
      onState(handler: (listening: boolean) => void) {
        stateHandlers.push(handler)
      },
      get listening() {
        return listening
      },
    })
    app.addHook('onReady', connect)
    app.addHook('onClose', async () => {
      closed = true
      clearTimeout(retry)
      const c = client
      client = undefined
      await c?.end().catch(() => {})
    })
  },
  { name: 'db-events', dependencies: ['config'] },
)
