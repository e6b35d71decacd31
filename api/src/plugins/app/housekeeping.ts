/** Runs telemetry retention and rollups (lib/retention.ts) every minute on one node. */
import fp from 'fastify-plugin'
import { runRetention } from '../../lib/retention.ts'

const INTERVAL_MS = 60_000

export default fp(
  async (app) => {
    let running: Promise<unknown> | undefined
    const timer = setInterval(() => {
      running ??= runRetention(app.knex, new Date(), { rawHours: app.config.telemetryRawHours, rollupDays: app.config.telemetryRollupDays })
        .catch((err: unknown) => app.log.warn({ err: { message: (err as Error).message } }, 'telemetry retention failed; will retry'))
        .finally(() => (running = undefined))
    }, INTERVAL_MS)
    timer.unref()
    app.addHook('preClose', async () => {
      clearInterval(timer)
      await running
    })
  },
  { name: 'housekeeping', dependencies: ['db'] },
)
