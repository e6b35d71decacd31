/**
 * Seals audit events into their chains in the background, a batch every
 * `interval` ms, and once more on close. Several API processes may run it: the
 * database lets one seal at a time and the others skip their turn.
 */
import fp from 'fastify-plugin'
import { sealAudit } from '../../lib/audit.ts'

const INTERVAL_MS = 200

export default fp(
  async (app) => {
    let running: Promise<unknown> | undefined
    const tick = () => {
      running ??= sealAudit(app.knex, false)
        .catch((err: unknown) => app.log.warn({ err }, 'audit sealing failed; will retry'))
        .finally(() => (running = undefined))
    }
    const timer = setInterval(tick, INTERVAL_MS)
    timer.unref()
    app.addHook('preClose', async () => {
      clearInterval(timer)
      await running
      await sealAudit(app.knex, true).catch((err: unknown) => app.log.warn({ err }, 'final audit sealing failed'))
    })
  },
  { name: 'audit-sealer', dependencies: ['db'] },
)
