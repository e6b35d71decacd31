/**
 * sync.push.10k: changes/s applied through POST /api/sync (10 000 credential
 * changes, 500 per request, each checked, audited and recorded by change id),
 * against one multi-row INSERT of the same blocks in the same run.
 * sync.pull.10k.api: seconds for a fresh device to page 10 000 miners with their
 * blocks out of GET /api/sync (HTTP and JSON only), against one SELECT of the same rows.
 * sync.pull.10k: seconds for a fresh PWA in headless Chromium (signed in, empty
 * IndexedDB) to pull the same 10 000 miners with their blocks into IndexedDB, as its
 * sync engine times it (goal ≤ 2 s), against the same SELECT.
 */
import knexFactory from 'knex'
import { randomBytes, randomUUID } from 'node:crypto'
import { chromium } from 'playwright-core'
import { CHROMIUM_ARGS } from '../e2e/support/pwa_harness.ts'
import { ensurePwaBuilt } from '../e2e/support/pwa_build.ts'
import { fakeBlockV1 } from '../support/api.ts'
import { result, type BenchResult, type BenchSuite } from './report.ts'
import { benchDatabase, call, startServer } from './servers.ts'

const MINERS = 10_000
const PER_PUSH = 500

/**
 * A fresh device: a new browser profile holding only the session. The app starts
 * its sync engine on load; the figure is the engine's own timing of that first
 * pull, checked against what IndexedDB then holds.
 */
async function pullInBrowser(base: string, session: unknown): Promise<number> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 60_000 })
  try {
    const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage()
    page.setDefaultTimeout(60_000)
    await page.goto(base)
    await page.waitForFunction(() => 'hashinsight' in globalThis)
    await page.evaluate((session) => new Promise<void>((resolve, reject) => {
      const open = (globalThis as any).indexedDB.open('hashinsight')
      open.onerror = () => reject(open.error)
      open.onsuccess = () => {
        const tx = open.result.transaction('session', 'readwrite')
        tx.objectStore('session').put(session, 'current')
        tx.oncomplete = () => { open.result.close(); resolve() }
        tx.onerror = () => reject(tx.error)
      }
    }), session)
    await page.reload()
    await page.waitForFunction((count) => ((globalThis as any).hashinsight.sync.lastPull()?.miners ?? 0) >= count, MINERS, { polling: 50 })
    const pull = await page.evaluate(() => (globalThis as any).hashinsight.sync.lastPull())
    // Each miner is one record holding both blocks (credentials set by the push above, connection none).
    const stored = await page.evaluate(() => new Promise<number[]>((resolve) => {
      const open = (globalThis as any).indexedDB.open('hashinsight')
      open.onsuccess = () => {
        const all = open.result.transaction('miners').objectStore('miners').getAll()
        all.onsuccess = () => {
          open.result.close()
          const miners = all.result as { blocks?: { credentials?: unknown; connection_full?: unknown } }[]
          resolve([miners.length, miners.filter((m) => m.blocks?.credentials && m.blocks.connection_full === null).length])
        }
      }
    }))
    if (stored[0] !== MINERS || stored[1] !== MINERS) throw new Error(`Cannot bench the browser pull: IndexedDB holds ${stored[0]} miners, ${stored[1]} with their blocks`)
    return (pull.finishedAt - pull.startedAt) / 1000
  } finally {
    await browser.close()
  }
}

const suite: BenchSuite = {
  name: 'sync',
  async run(): Promise<BenchResult[]> {
    await ensurePwaBuilt()
    const database = await benchDatabase('hashinsight_bench_sync')
    const db = knexFactory({ client: 'pg', connection: database.url, pool: { min: 0, max: 2 } })
    const server = await startServer('app', database.url, randomBytes(32).toString('hex'))
    const base = `http://127.0.0.1:${server.port}`
    try {
      const owner = await call(base, 'POST', '/api/auth/register', undefined, { email: 'sync@example.com', password: 'sync bench password', tenantName: 'Sync' })
      const site = await call(base, 'POST', '/api/sites', owner.token, { name: 'Sync site' })
      const ids: string[] = []
      for (let i = 0; i < MINERS; i += 1000) {
        const rows = Array.from({ length: Math.min(1000, MINERS - i) }, (_, j) => ({ tenant_id: owner.tenant.id, site_id: site.id, name: `m${i + j}`, ip_address: '10.0.0.1', port: 4028 }))
        ids.push(...(await db('hosting_miners').insert(rows).returning('id')).map((r: { id: string }) => r.id))
      }
      const blocks = ids.map(() => fakeBlockV1())

      let t = performance.now()
      for (let i = 0; i < MINERS; i += PER_PUSH) {
        const changes = ids.slice(i, i + PER_PUSH).map((id, j) => ({ change_id: randomUUID(), kind: 'credentials', subject_id: id, base_revision: 1, block: blocks[i + j] }))
        const { results } = await call(base, 'POST', '/api/sync', owner.token, { changes })
        if (results.some((r: { status: string }) => r.status !== 'applied')) throw new Error('Cannot bench sync: a change was not applied')
      }
      const pushRate = MINERS / ((performance.now() - t) / 1000)

      await db.raw('CREATE TABLE bench_sync_baseline (miner_id uuid, block jsonb)')
      t = performance.now()
      await db.raw('INSERT INTO bench_sync_baseline SELECT * FROM jsonb_to_recordset(?::jsonb) AS r(miner_id uuid, block jsonb)', [JSON.stringify(ids.map((id, i) => ({ miner_id: id, block: blocks[i] })))])
      const insertRate = MINERS / ((performance.now() - t) / 1000)

      t = performance.now()
      let cursor: string | undefined
      let pulled = 0
      for (;;) {
        const page = await call(base, 'GET', `/api/sync?limit=1000${cursor ? `&since=${cursor}` : ''}`, owner.token)
        pulled += page.miners.length
        cursor = page.cursor
        if (!page.has_more) break
      }
      const pullSeconds = (performance.now() - t) / 1000
      if (pulled < MINERS) throw new Error(`Cannot bench sync: pulled ${pulled} of ${MINERS}`)
      t = performance.now()
      await db('hosting_miners').where({ tenant_id: owner.tenant.id }).select('*')
      const selectSeconds = (performance.now() - t) / 1000

      const browserPull = await pullInBrowser(base, owner)

      return [
        result('sync.push.10k', pushRate, 'changes/s', insertRate, `${MINERS} credential changes, ${PER_PUSH} per POST /api/sync; baseline: one multi-row INSERT of the same blocks`),
        result('sync.pull.10k.api', pullSeconds, 's', selectSeconds, `fresh device paging ${MINERS} miners with blocks out of GET /api/sync (limit 1000), HTTP only; baseline: one SELECT`),
        result('sync.pull.10k', browserPull, 's', selectSeconds, `fresh PWA in headless Chromium pulling ${MINERS} miners with their blocks into IndexedDB (the sync engine's timing of its first pull); goal ≤ 2; baseline: one SELECT`),
      ]
    } finally {
      await server.stop()
      await db.destroy()
      await database.close()
    }
  },
}

export default [suite]
