/**
 * Everything a PWA browser test needs: the built app, the real API on a free
 * loopback port with its own database, and Debian's Chromium (playwright-core).
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { buildApp, type App } from '../../../api/src/app.ts'
import { loadConfig } from '../../../api/src/config.ts'
import { startTestApi, type TestApi } from '../../support/api.ts'
import { startFlakyProxy, type FlakyProxy } from './flaky_proxy.ts'
import { ensurePwaBuilt } from './pwa_build.ts'

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

export interface PwaHarness {
  api: TestApi
  baseUrl: string
  /**
   * A fresh Chromium profile at a phone's size, with its console errors collected.
   * Persistent (not incognito), as an installed app's profile is: Chromium refuses
   * to call an incognito page installable.
   */
  newPhone(): Promise<{ context: BrowserContext; page: Page; errors: string[] }>
  /** With `{ proxy: true }`: the proxy the phones reach the API through. */
  proxy: FlakyProxy | null
  /**
   * Closes the API (in-flight requests finish, as on a deploy) and starts a new
   * one on the same database, port and signing secret; `api.app` is the new one.
   * @param whileDown runs while no API is listening
   */
  restartApi(whileDown?: () => Promise<void>): Promise<void>
  close(): Promise<void>
}

export interface PwaHarnessOptions {
  /** Put a {@link FlakyProxy} between the phones and the API. */
  proxy?: boolean
}

export async function startPwaHarness(options: PwaHarnessOptions = {}): Promise<PwaHarness> {
  await ensurePwaBuilt()
  const jwtSecret = randomBytes(32).toString('hex')
  const api = await startTestApi({ jwtSecret })
  const firstApp = api.app
  const phones: { context: BrowserContext; dir: string }[] = []
  let proxy: FlakyProxy | null = null
  try {
    await api.app.listen({ port: 0, host: '127.0.0.1' })
    const address = api.app.server.address()
    if (!address || typeof address === 'string') throw new Error('Cannot start the API: no TCP address')
    const apiPort = address.port
    proxy = options.proxy ? await startFlakyProxy(() => apiPort) : null
    const baseUrl = proxy?.url ?? `http://127.0.0.1:${apiPort}`
    return {
      api,
      baseUrl,
      proxy,
      async restartApi(whileDown) {
        await api.app.close()
        await whileDown?.()
        const next: App = await buildApp({ ...loadConfig({}), databaseUrl: api.databaseUrl, jwtSecret, loginRateLimit: 1000 }, false)
        await next.ready()
        await next.listen({ port: apiPort, host: '127.0.0.1' })
        api.app = next
      },
      async newPhone() {
        const dir = await mkdtemp(join(tmpdir(), 'hashinsight-pwa-profile-'))
        const context = await chromium.launchPersistentContext(dir, {
          executablePath: '/usr/bin/chromium',
          args: CHROMIUM_ARGS,
          timeout: 60_000,
          baseURL: baseUrl,
          viewport: { width: 390, height: 844 },
          deviceScaleFactor: 2,
          isMobile: true,
          hasTouch: true,
        })
        phones.push({ context, dir })
        context.setDefaultTimeout(20_000)
        const page = context.pages()[0] ?? (await context.newPage())
        const errors: string[] = []
        page.on('pageerror', (e) => errors.push(String(e)))
        page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
        return { context, page, errors }
      },
      async close() {
        for (const { context, dir } of phones) {
          await context.close().catch(() => undefined)
          await rm(dir, { recursive: true, force: true })
        }
        await proxy?.close()
        // api.close() closes the first app and drops the database; a restarted one closes here.
        if (api.app !== firstApp) await api.app.close()
        await api.close()
      },
    }
  } catch (error) {
    await proxy?.close()
    await api.close()
    throw error
  }
}
