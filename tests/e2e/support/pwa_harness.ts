/**
 * Everything a PWA browser test needs: the built app, the real API on a free
 * loopback port with its own database, and Debian's Chromium (playwright-core).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { startTestApi, type TestApi } from '../../support/api.ts'
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
  close(): Promise<void>
}

export async function startPwaHarness(): Promise<PwaHarness> {
  await ensurePwaBuilt()
  const api = await startTestApi()
  const phones: { context: BrowserContext; dir: string }[] = []
  try {
    await api.app.listen({ port: 0, host: '127.0.0.1' })
    const address = api.app.server.address()
    if (!address || typeof address === 'string') throw new Error('Cannot start the API: no TCP address')
    const baseUrl = `http://127.0.0.1:${address.port}`
    return {
      api,
      baseUrl,
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
        await api.close()
      },
    }
  } catch (error) {
    await api.close()
    throw error
  }
}
