/**
 * The PWA's shell in Chromium: installable, controlled by its service worker,
 * reloadable offline, and the e2ee known-answer vectors checked inside its crypto
 * worker through the page's bridge.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, test } from 'vitest'
import v1 from '../../e2ee/vectors/v1.json' with { type: 'json' }
import v2 from '../../e2ee/vectors/v2.json' with { type: 'json' }
import { ROOT } from './support/pwa_build.ts'
import { startPwaHarness, type PwaHarness } from './support/pwa_harness.ts'

// page.evaluate bodies run in the browser; the Node tsconfig has no DOM types.
type Win = { hashinsight: { crypto(): { call(op: string, args: unknown): Promise<any> } }; navigator: any; location: any }

let harness: PwaHarness
let context: BrowserContext
let page: Page
let errors: string[]

beforeAll(async () => {
  harness = await startPwaHarness()
  ;({ context, page, errors } = await harness.newPhone())
  await page.goto('/')
  await page.getByRole('button', { name: 'Sign in' }).first().waitFor()
})

afterAll(async () => {
  await harness?.close()
})

describe('PWA shell', () => {
  // Page, worker and service worker each typecheck against their own globals only.
  test.each(['client', 'worker', 'sw'])('pwa/src/%s typechecks with its own tsconfig', (context) => {
    execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', `pwa/src/${context}`], { cwd: ROOT, stdio: 'pipe', timeout: 50_000 })
  })

  test('serves headers the app needs: CSP without inline scripts, no-cache for sw.js, a year for hashed scripts', async () => {
    const index = await fetch(harness.baseUrl + '/')
    assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self'/)
    const html = await index.text()
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script')
    const script = /src="?(\/js\/main\.[0-9a-f]+\.js)/.exec(html)?.[1]
    assert.ok(script, 'the page loads a hashed bundle')
    assert.match((await fetch(harness.baseUrl + script)).headers.get('cache-control') ?? '', /immutable/)
    assert.equal((await fetch(harness.baseUrl + '/sw.js')).headers.get('cache-control'), 'no-cache')
    const manifest = await (await fetch(harness.baseUrl + '/manifest.webmanifest')).json() as { icons: { sizes: string; purpose: string }[] }
    assert.deepEqual(manifest.icons.map((i) => `${i.sizes} ${i.purpose}`), ['192x192 any', '512x512 any', '512x512 maskable'])
  })

  test('is installable (no installability errors) and its service worker controls the page', async () => {
    await page.waitForFunction(() => (globalThis as unknown as Win).navigator.serviceWorker.controller !== null, null, { timeout: 30_000 })
    const cdp = await context.newCDPSession(page)
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors')
    assert.deepEqual(installabilityErrors, [])
    await cdp.detach()
  })

  test('passes the e2ee v1 and v2 vectors inside the crypto worker', async () => {
    const outcome = await page.evaluate(async ({ v1, v2 }) => {
      const bridge = (globalThis as unknown as Win).hashinsight.crypto()
      const results: string[] = []
      for (const k of v2.keyrings) {
        const status = await bridge.call('unlock', { keyring: k.wrapped, passphrase: k.passphrase, tenantId: k.tenant_id, remember: false, autoLockMs: 0 })
        results.push(`unlock ${k.name}: ${status.unlocked && status.kid === k.wrapped.kid}`)
        for (const b of v2.blocks.filter((b) => b.kid === k.wrapped.kid)) {
          const plain = await bridge.call('decrypt', { kind: b.kind, subjectId: b.subject_id, block: b.block })
          results.push(`v2 ${b.name}: ${JSON.stringify(plain) === JSON.stringify(b.plaintext)}`)
          const moved = await bridge.call('decrypt', { kind: b.kind, subjectId: 'elsewhere', block: b.block }).then(() => 'decrypted', (e) => e.code)
          results.push(`v2 ${b.name} moved: ${moved}`)
        }
        const wrong = await bridge.call('unlock', { keyring: k.wrapped, passphrase: k.passphrase + '!', tenantId: k.tenant_id, remember: false, autoLockMs: 0 }).then(() => 'unlocked', (e) => e.code)
        results.push(`wrong passphrase ${k.name}: ${wrong}`)
      }
      for (const v of v1.vectors) {
        const plain = await bridge.call('decrypt', { kind: 'credentials', subjectId: 'v1', block: v.block, passphrase: v.passphrase })
        results.push(`v1 ${v.name}: ${JSON.stringify(plain) === JSON.stringify(v.plaintext)}`)
      }
      await bridge.call('lock', {})
      return results
    }, { v1, v2 })
    const expected = v2.keyrings.flatMap((k) => [
      `unlock ${k.name}: true`,
      ...v2.blocks.filter((b) => b.kid === k.wrapped.kid).flatMap((b) => [`v2 ${b.name}: true`, `v2 ${b.name} moved: undecryptable_block`]),
    ])
    // The wrong-passphrase unlock runs while the right key is held; it must fail without touching it.
    assert.deepEqual(outcome.filter((r) => !r.startsWith('wrong') && !r.startsWith('v1')), expected)
    assert.deepEqual(outcome.filter((r) => r.startsWith('wrong')), v2.keyrings.map((k) => `wrong passphrase ${k.name}: wrong_passphrase`))
    assert.deepEqual(outcome.filter((r) => r.startsWith('v1')), v1.vectors.map((v) => `v1 ${v.name}: true`))
  })

  test('reloads offline from the service worker cache', async () => {
    await context.setOffline(true)
    try {
      await page.reload()
      await page.getByRole('button', { name: 'Sign in' }).first().waitFor()
      await context.setOffline(false)
    } finally {
      await context.setOffline(false)
    }
    assert.deepEqual(errors.filter((e) => !/Failed to load resource|net::ERR_INTERNET_DISCONNECTED/.test(e)), [])
  })
})
