/**
 * The live dashboard in Chromium at a phone's size against the real API and
 * PostgreSQL: an edge device pushes telemetry, the page shows it, then shows new
 * figures and a raised alert without a reload (SSE), and after an offline reload
 * shows the last known figures labelled as such.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, test } from 'vitest'
import { telemetrySample } from '../support/api.ts'
import { startPwaHarness, type PwaHarness } from './support/pwa_harness.ts'
import { waitFor } from './support/wait_for.ts'

const EMAIL = `live-${randomUUID()}@example.com`
const PASSWORD = 'account password 5678'

let harness: PwaHarness
let context: BrowserContext
let page: Page
let errors: string[]
let token = ''
let siteId = ''
let minerId = ''
let deviceToken = ''

async function call<T>(method: 'GET' | 'POST', url: string, payload?: object, auth = token): Promise<T> {
  const res = await harness.api.app.inject({ method, url, headers: auth ? { authorization: `Bearer ${auth}` } : {}, ...(payload ? { payload } : {}) })
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
  return res.json() as T
}

const push = (patch: Record<string, unknown>) =>
  call('POST', '/api/edge/telemetry', { batch_id: randomUUID(), samples: [telemetrySample(minerId, patch)] }, deviceToken)


const farmHashrate = () => page.getByLabel('Farm totals').getByTestId('total-hashrate')
const minerRow = () => page.getByRole('button', { name: 'S19-live-01: chart' })

beforeAll(async () => {
  harness = await startPwaHarness()
  ;({ context, page, errors } = await harness.newPhone())
  token = (await call<{ token: string }>('POST', '/api/auth/register', { email: EMAIL, password: PASSWORD, tenantName: 'Live Farm' }, '')).token
  siteId = (await call<{ id: string }>('POST', '/api/sites', { name: 'Hall L' })).id
  minerId = (await call<{ id: string }>('POST', `/api/sites/${siteId}/miners`, { name: 'S19-live-01', ip_address: '10.9.0.1' })).id
  const { enrollment_code } = await call<{ enrollment_code: string }>('POST', `/api/sites/${siteId}/devices`, { name: 'rig' })
  deviceToken = (await call<{ token: string }>('POST', '/api/edge/enroll', { code: enrollment_code }, '')).token
  await push({ hashrate_ths: 104.2, power_w: 3250 })
})

afterAll(async () => {
  await harness?.close()
})

describe('PWA live dashboard', () => {
  test('signed in, without unlocking: the dashboard shows farm totals and the miner with its figures', async () => {
    await page.goto('/')
    await page.getByLabel('Email').fill(EMAIL)
    await page.getByLabel('Account password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await page.getByRole('button', { name: 'Create encryption keys' }).waitFor()
    await page.goto('/dashboard')
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor()
    await waitFor('the farm hashrate', async () => (await farmHashrate().textContent())?.includes('104.2'))
    assert.match((await minerRow().textContent()) ?? '', /104\.2/)
    assert.match((await page.getByRole('button', { name: /Hall L/ }).textContent()) ?? '', /1\/1 on/)
  })

  test('a new sample shows without a reload, in the row and the totals', async () => {
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42))
    await push({ hashrate_ths: 87.6, power_w: 3100 })
    await waitFor('the new hashrate in the row', async () => (await minerRow().textContent())?.includes('87.6'))
    await waitFor('the new farm total', async () => (await farmHashrate().textContent())?.includes('87.6'))
    assert.match((await page.getByLabel('Farm totals').textContent()) ?? '', /3\.1 kW/)
    assert.equal(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker), 42, 'the page must not have reloaded')
  })

  test('a hot sample raises an alert live: the row, the totals and the alerts tab show it', async () => {
    await push({ hashrate_ths: 91.3, chip_temps_c: [95] })
    await waitFor('the alert in the row', async () => (await minerRow().textContent())?.includes('Too hot'))
    await waitFor('the alerting total', async () => (await page.getByLabel('Farm totals').textContent())?.includes('Alerting1'))
    await page.getByRole('tab', { name: /Alerts/ }).click()
    const alert = page.getByLabel('Open alerts').getByRole('listitem').first()
    await alert.waitFor()
    const text = (await alert.textContent()) ?? ''
    assert.match(text, /S19-live-01/)
    assert.match(text, /95\.0 °C \(limit \d+/)
    assert.equal((await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)), 42)
    await page.getByRole('tab', { name: 'Miners' }).click()
  })

  test('offline reload: the last known figures show, labelled with their time', async () => {
    // The kept copy follows the live figures within a second.
    await waitFor('the kept copy', () => page.evaluate(() => new Promise<boolean>((resolve) => {
      const open = (globalThis as unknown as { indexedDB: any }).indexedDB.open('hashinsight')
      open.onsuccess = () => {
        const get = open.result.transaction('live').objectStore('live').get('farm')
        get.onsuccess = () => {
          open.result.close()
          resolve(get.result?.data?.totals?.hashrate_ths === 91.3)
        }
      }
    })))
    await context.setOffline(true)
    try {
      await page.reload()
      const label = page.getByRole('status').filter({ hasText: /Offline — last known values from \d\d:\d\d/ })
      await label.waitFor()
      await waitFor('the kept hashrate', async () => (await farmHashrate().textContent())?.includes('91.3'))
      assert.match((await minerRow().textContent()) ?? '', /91\.3/)
      assert.match((await minerRow().textContent()) ?? '', /Too hot/)
      await page.screenshot({ path: '/tmp/pwa-dashboard-offline.png' })
    } finally {
      await context.setOffline(false)
    }
  })

  test('charts: the site history draws with uPlot for 1 h, 24 h and 7 d; screenshot at 390×844', async () => {
    await page.reload()
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor()
    await page.getByRole('tab', { name: 'Charts' }).click()
    for (const range of ['24h', '7d', '1h']) {
      await page.getByRole('button', { name: range, exact: true }).click()
      await page.locator('.plot .uplot canvas').waitFor()
    }
    await page.getByRole('tab', { name: 'Miners' }).click()
    await page.getByLabel('Sort by').selectOption('temperature')
    await page.screenshot({ path: '/tmp/pwa-dashboard.png' })
    const initial = errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to load resource|net::/.test(e))
    assert.deepEqual(initial, [])
  })
})
