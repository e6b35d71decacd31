/**
 * pwa.*: the PWA in headless Chromium, served from pwa/dist by a bare static server
 * with the API's security headers (API calls fail as if offline, so the app runs
 * from IndexedDB). Figures:
 * - pwa.bundle.initial_gz: gzipped bytes of the scripts index.html loads (goal ≤ 40 KB);
 *   baseline: preact alone, gzipped.
 * - pwa.unlock.ms: unlocking the keyring in the crypto worker (PBKDF2 600 000 + unwrap);
 *   baseline: the same unlockKeyring in Node.
 * - pwa.list.10k.ms: from opening a site to the first painted frame of its 10 000-miner
 *   list read from IndexedDB (goal ≤ 500 ms); baseline: reading those miners from IndexedDB alone.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { extname, join, normalize } from 'node:path'
import { gzipSync } from 'node:zlib'
import { chromium } from 'playwright-core'
import { helmetHeaders } from '../../api/src/plugins/external/security.ts'
import { createKeyring, unlockKeyring } from '../../e2ee/mod.ts'
import { CHROMIUM_ARGS } from '../e2e/support/pwa_harness.ts'
import { ensurePwaBuilt, PWA_DIST, ROOT } from '../e2e/support/pwa_build.ts'
import { result, type BenchResult, type BenchSuite } from './report.ts'

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.webmanifest': 'application/manifest+json', '.png': 'image/png' }
const MINERS = 10_000
const PASSPHRASE = 'bench passphrase for the pwa'

function serveDist(): Promise<{ server: Server; url: string }> {
  const headers = helmetHeaders()
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!
    // The API is "unreachable": the app must run from IndexedDB.
    if (path.startsWith('/api/')) return void req.socket.destroy()
    let file = join(PWA_DIST, normalize(path))
    if (!file.startsWith(PWA_DIST) || !existsSync(file) || path === '/') file = join(PWA_DIST, 'index.html')
    res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' })
    createReadStream(file).pipe(res)
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const address = server.address()
    resolve({ server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` })
  }))
}

function initialBundle(): BenchResult {
  const html = readFileSync(join(PWA_DIST, 'index.html'), 'utf8')
  const scripts = [...html.matchAll(/<script[^>]*src="?([^"\s>]+)/g)].map((m) => m[1]!)
  const bytes = scripts.reduce((sum, src) => sum + gzipSync(readFileSync(join(PWA_DIST, src)), { level: 9 }).length, 0)
  const preact = gzipSync(readFileSync(join(ROOT, 'node_modules/preact/dist/preact.module.js')), { level: 9 }).length
  return result('pwa.bundle.initial_gz', bytes, 'bytes', preact, `${scripts.length} script(s); goal ≤ 40960; baseline: preact alone`)
}

const suite: BenchSuite = {
  name: 'pwa',
  async run() {
    await ensurePwaBuilt()
    const results = [initialBundle()]
    const { server, url } = await serveDist()
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 60_000 })
    try {
      const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage()
      page.setDefaultTimeout(60_000)
      await page.goto(url)
      await page.waitForFunction(() => 'hashinsight' in globalThis)
      const tenantId = '00000000-0000-4000-8000-000000000001'
      const siteId = '00000000-0000-4000-8000-000000000002'
      const { wrapped } = await createKeyring(PASSPHRASE, tenantId)

      const nodeStart = performance.now()
      await unlockKeyring(wrapped, PASSPHRASE, tenantId)
      const nodeUnlock = performance.now() - nodeStart
      const browserUnlock = await page.evaluate(async ({ wrapped, tenantId, passphrase }) => {
        const bridge = (globalThis as any).hashinsight.crypto()
        const times: number[] = []
        for (let i = 0; i < 3; i++) {
          const start = performance.now()
          await bridge.call('unlock', { keyring: wrapped, passphrase, tenantId, remember: true, autoLockMs: 0 })
          times.push(performance.now() - start)
        }
        return times.sort((a, b) => a - b)[1]!
      }, { wrapped, tenantId, passphrase: PASSPHRASE })
      results.push(result('pwa.unlock.ms', browserUnlock, 'ms', nodeUnlock, 'median of 3 in the crypto worker; baseline: unlockKeyring in Node'))

      // A signed-in, remembered-unlocked device with one site of 10 000 miners in IndexedDB.
      await page.evaluate(async ({ tenantId, siteId, wrapped, count }) => {
        const idb = (globalThis as any).indexedDB
        const db: any = await new Promise((resolve, reject) => {
          const open = idb.open('hashinsight')
          open.onsuccess = () => resolve(open.result)
          open.onerror = () => reject(open.error)
        })
        const tx = db.transaction(['session', 'keyring', 'sites', 'miners'], 'readwrite')
        tx.objectStore('session').put({ token: 'bench', user: { id: tenantId, email: 'bench@example.com' }, tenant: { id: tenantId, name: 'Bench farm', role: 'owner' } }, 'current')
        tx.objectStore('keyring').put({ tenantId, keyring: wrapped, revision: 1 })
        tx.objectStore('sites').put({ id: siteId, name: 'Bench site', location: null, created_at: new Date().toISOString() })
        const miners = tx.objectStore('miners')
        for (let i = 0; i < count; i++) {
          const n = String(i).padStart(5, '0')
          miners.put({
            id: `00000000-0000-4000-9000-0000000${n}`, site_id: siteId, name: `S19-${n}`, model: 'Antminer S19', ip_address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
            port: 4028, use_full_e2ee: i % 10 === 0, has_credentials: i % 3 !== 0, revision: 1, created_at: new Date().toISOString(), updated_at: new Date().toISOString(),
          })
        }
        await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onerror = () => reject(tx.error) })
        db.close()
      }, { tenantId, siteId, wrapped, count: MINERS })

      await page.reload()
      await page.getByRole('button', { name: /Bench site/ }).waitFor()
      const list = await page.evaluate(async ({ siteId, count }) => {
        const g = globalThis as any
        const readStart = performance.now()
        const db: any = await new Promise((resolve) => {
          const open = g.indexedDB.open('hashinsight')
          open.onsuccess = () => resolve(open.result)
        })
        const all: unknown[] = await new Promise((resolve) => {
          const request = db.transaction('miners').objectStore('miners').index('by_site').getAll(siteId)
          request.onsuccess = () => resolve(request.result)
        })
        const read = performance.now() - readStart
        db.close()
        const start = performance.now()
        g.document.querySelector('.card').click()
        // (No named closures in here: tsx would wrap them in a helper the page lacks.)
        while (!g.document.querySelector('.vlist li')) await new Promise((resolve) => g.requestAnimationFrame(resolve))
        // The frame after the rows exist is the one that paints them.
        await new Promise((resolve) => g.requestAnimationFrame(() => g.setTimeout(resolve, 0)))
        const rows = g.document.querySelectorAll('.vlist li').length
        const total = g.document.querySelector('h1 small')?.textContent ?? ''
        return { read, render: performance.now() - start, rows, total, fetched: all.length === count }
      }, { siteId, count: MINERS })
      if (!list.fetched || !list.total.includes(String(MINERS))) throw new Error(`Cannot bench the list: ${JSON.stringify(list)}`)
      results.push(result('pwa.list.10k.ms', list.render, 'ms', list.read, `${list.rows} rows in the DOM of ${MINERS}; goal ≤ 500; baseline: IndexedDB getAll alone`))
    } finally {
      await browser.close()
      server.close()
    }
    return results
  },
}

export default [suite]
