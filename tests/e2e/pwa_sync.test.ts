/**
 * Offline sync across devices, in Chromium against the real API and PostgreSQL:
 * two phones (two profiles) of one owner edit the same miner offline and come
 * back; the second sees the conflict with both copies decryptable, and the
 * owner's merge lands on both phones and in the database. Then 1 000 offline
 * edits arrive exactly once, also when an answer is lost and the API restarts
 * in the middle of the push. The phones reach the API through a proxy that can
 * drop an answer the server already sent.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, test } from 'vitest'
import { createKeyring, decryptBlock, encryptBlock, type DataKey } from '../../e2ee/mod.ts'
import { startPwaHarness, type PwaHarness } from './support/pwa_harness.ts'
import { signIn } from './support/pwa_steps.ts'
import { waitFor } from './support/wait_for.ts'

const EMAIL = `owner-${randomUUID()}@example.com`
const ACCOUNT_PASSWORD = 'account password for sync'
const PASSPHRASE = 'amber kettle seven orbit'
const FIRST = { username: 'rig-first', password: 'first-pass-1', pool_password: 'pool-first-1' }
const FROM_A = { username: 'user-from-phone-a', password: 'pass-from-phone-a-7q', pool_password: 'pool-first-1' }
const FROM_B = { username: 'user-from-phone-b', password: 'pass-from-phone-b-9z', pool_password: 'pool-from-phone-b-3k' }

type Phone = { context: BrowserContext; page: Page; errors: string[] }
// page.evaluate bodies run in the browser; the Node tsconfig has no DOM types.
type Win = { hashinsight: { sync: { status(): { flow: string; state: string; pending: number; conflicts: number }; saveCredentials(id: string, c: unknown): Promise<void> } }; indexedDB: any }

let harness: PwaHarness
let token = ''
let tenantId = ''
let siteId = ''
let dataKey: DataKey
let a: Phone
let b: Phone

const knex = () => harness.api.app.knex

async function call<T = any>(method: 'GET' | 'POST' | 'PUT', url: string, payload?: object): Promise<T> {
  const res = await harness.api.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) })
  assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`)
  return res.json() as T
}


/** Every record of one IndexedDB store of the phone (read with the raw API, as any script of the origin could). */
function readStore<T = any>(page: Page, store: string): Promise<T[]> {
  return page.evaluate((store) => new Promise<any[]>((resolve, reject) => {
    const open = (globalThis as unknown as Win).indexedDB.open('hashinsight')
    open.onerror = () => reject(open.error)
    open.onsuccess = () => {
      const all = open.result.transaction(store).objectStore(store).getAll()
      all.onsuccess = () => {
        open.result.close()
        resolve(all.result)
      }
    }
  }), store) as Promise<T[]>
}

const syncStatus = (page: Page) => page.evaluate(() => (globalThis as unknown as Win).hashinsight.sync.status())
const field = (page: Page, label: string) => page.getByLabel(label, { exact: true })
const decrypt = (block: unknown, minerId: string) => decryptBlock(dataKey, block, { tenantId, kind: 'credentials', subjectId: minerId })

/** Opens `path` on a fresh phone, signs in and unlocks. */
async function signedInPhone(path: string): Promise<Phone> {
  const phone = await harness.newPhone()
  await signIn(phone.page, path, { email: EMAIL, password: ACCOUNT_PASSWORD, passphrase: PASSPHRASE })
  return phone
}

async function newMiner(name: string): Promise<string> {
  return (await call<{ id: string }>('POST', `/api/sites/${siteId}/miners`, { name, ip_address: '10.20.0.1' })).id
}

async function saveOffline(page: Page, values: typeof FIRST): Promise<void> {
  await field(page, 'Username').fill(values.username)
  await field(page, 'Password').fill(values.password)
  await field(page, 'Pool password').fill(values.pool_password)
  await page.getByRole('button', { name: 'Encrypt and save' }).click()
  await page.getByText('kept on this device').waitFor()
}

beforeAll(async () => {
  harness = await startPwaHarness({ proxy: true })
  const res = await harness.api.app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: EMAIL, password: ACCOUNT_PASSWORD, tenantName: 'Sync Farm' } })
  assert.equal(res.statusCode, 201, res.body)
  ;({ token, tenant: { id: tenantId } } = res.json())
  // The keyring is made here, as the owner's first device would: the test then holds the data key to check blocks.
  const { wrapped, key } = await createKeyring(PASSPHRASE, tenantId)
  dataKey = key
  await call('PUT', '/api/keyring', { keyring: wrapped })
  siteId = (await call<{ id: string }>('POST', '/api/sites', { name: 'Hall S' })).id
})

afterAll(async () => {
  await harness?.close()
})

describe('PWA sync across two devices', () => {
  let minerId = ''

  test('both offline, both edit one miner: the second back sees the conflict, both copies decrypt, the owner\'s merge lands everywhere', async () => {
    minerId = await newMiner('S21-shared-01')
    await call('POST', `/api/miners/${minerId}/credentials`, { encrypted_credentials: await encryptBlock(dataKey, FIRST, { tenantId, kind: 'credentials', subjectId: minerId, counter: 1 }) })
    const path = `/sites/${siteId}/miners/${minerId}`
    ;[a, b] = await Promise.all([signedInPhone(path), signedInPhone(path)])
    for (const phone of [a, b]) {
      await waitFor('the first login on both phones', async () => (await field(phone.page, 'Password').inputValue()) === FIRST.password)
      await phone.page.locator('[data-sync-state="synced"]').waitFor()
    }

    await Promise.all([a.context.setOffline(true), b.context.setOffline(true)])
    await saveOffline(a.page, FROM_A)
    await saveOffline(b.page, FROM_B)
    await a.page.locator('[data-sync-state="offline"]').filter({ hasText: '1 to send' }).waitFor()

    await a.context.setOffline(false)
    const afterA = await waitFor('phone A\'s edit on the server', async () => {
      const row = await knex()('hosting_miners').where({ id: minerId }).first()
      return row.encrypted_credentials.counter === 2 ? row : null
    })
    assert.deepEqual(await decrypt(afterA.encrypted_credentials, minerId), FROM_A)

    await b.context.setOffline(false)
    const panel = b.page.getByRole('region', { name: 'Conflict' })
    await panel.waitFor()
    await b.page.locator('[data-sync-state="conflict"]').filter({ hasText: '1 conflict' }).waitFor()
    await panel.getByLabel('Show passwords').check()
    const cell = (side: string, name: string) => panel.locator(`[data-side="${side}"][data-field="${name}"]`).textContent()
    await waitFor('both copies decrypted', async () => (await cell('server', 'password')) === FROM_A.password)
    for (const name of ['username', 'password', 'pool_password'] as const) {
      assert.equal(await cell('local', name), FROM_B[name], `this device's ${name}`)
      assert.equal(await cell('server', name), FROM_A[name], `the server's ${name}`)
    }
    await b.page.screenshot({ path: '/tmp/pwa-sync-conflict.png', fullPage: true })

    // Both copies are kept on phone B, each an encrypted block that decrypts.
    const [kept] = await readStore(b.page, 'outbox')
    assert.equal(kept.status, 'conflict')
    assert.deepEqual(await decrypt(kept.change.block, minerId), FROM_B)
    assert.deepEqual(await decrypt(kept.server.encrypted_credentials, minerId), FROM_A)
    assert.equal((await knex()('hosting_miners').where({ id: minerId }).first()).revision, afterA.revision, 'nothing overwrote the server\'s copy')

    // Merge: phone A's username, phone B's passwords.
    await panel.getByLabel('Keep Username from').selectOption('server')
    await panel.getByRole('button', { name: 'Save merged copy' }).click()
    const merged = { username: FROM_A.username, password: FROM_B.password, pool_password: FROM_B.pool_password }
    const resolved = await waitFor('the merged copy on the server', async () => {
      const row = await knex()('hosting_miners').where({ id: minerId }).first()
      return row.revision > afterA.revision ? row : null
    })
    assert.equal(resolved.revision, afterA.revision + 1, 'one new change on the server\'s revision')
    assert.equal(resolved.encrypted_credentials.counter, 3, 'a counter above both copies (2 and 2)')
    assert.deepEqual(await decrypt(resolved.encrypted_credentials, minerId), merged)

    for (const phone of [b, a]) {
      await waitFor('the merged copy on the phone', async () => (await field(phone.page, 'Username').inputValue()) === merged.username && (await field(phone.page, 'Password').inputValue()) === merged.password)
      await phone.page.locator('[data-sync-state="synced"]').waitFor()
      assert.equal((await readStore(phone.page, 'outbox')).length, 0)
    }
    const stored = (await readStore(a.page, 'miners')).find((m) => m.id === minerId)
    assert.deepEqual(stored.blocks.credentials, resolved.encrypted_credentials, 'phone A stores the resolved block')

    const serverText = JSON.stringify(await knex().raw('select (select json_agg(m) from hosting_miners m)::text || (select json_agg(s) from sync_applied s)::text || (select json_agg(e) from audit_events e)::text as t'))
    for (const secret of [FROM_A.password, FROM_B.password, FROM_B.pool_password, PASSPHRASE]) assert.ok(!serverText.includes(secret), 'no plaintext on the server')
  })
})

describe('PWA sync of many offline edits', () => {
  const MINERS = 200
  const EDITS_PER_MINER = 5
  let miners: string[] = []

  /** Makes `perMiner` offline edits to each of `ids` on phone A, through the editor's save path. */
  async function editOffline(ids: string[], perMiner: number, tag: string): Promise<string[]> {
    await a.page.evaluate(async ({ ids, perMiner, tag }) => {
      const sync = (globalThis as unknown as Win).hashinsight.sync
      // Miners in parallel, each miner's edits in order.
      await Promise.all(ids.map(async (id, m) => {
        for (let i = 1; i <= perMiner; i++) await sync.saveCredentials(id, { username: `${tag}-${m}-${i}`, password: `pw-${tag}-${m}-${i}`, pool_password: 'pool' })
      }))
    }, { ids, perMiner, tag })
    const queued = await readStore(a.page, 'outbox')
    assert.equal(queued.length, ids.length * perMiner)
    return queued.map((e) => e.id)
  }

  /** Each edit applied exactly once: its change id recorded, one audit event each, one revision each, the last one stored. */
  async function assertExactlyOnce(ids: string[], changeIds: string[], perMiner: number, tag: string, revisionsBefore: Map<string, number>): Promise<void> {
    assert.equal(await appliedCount(changeIds), changeIds.length, 'every change id recorded')
    const rows = await knex()('hosting_miners').whereIn('id', ids).select('id', 'revision', 'encrypted_credentials')
    for (const row of rows) {
      const m = ids.indexOf(row.id)
      assert.equal(Number(row.revision), revisionsBefore.get(row.id)! + perMiner, `miner ${m}: one revision per edit, none twice`)
      assert.deepEqual(await decrypt(row.encrypted_credentials, row.id), { username: `${tag}-${m}-${perMiner}`, password: `pw-${tag}-${m}-${perMiner}`, pool_password: 'pool' })
    }
  }

  const appliedCount = async (changeIds: string[]) => Number((await knex()('sync_applied').whereIn('change_id', changeIds).count({ n: '*' }))[0]!.n)
  const revisions = async (ids: string[]) => new Map((await knex()('hosting_miners').whereIn('id', ids).select('id', 'revision')).map((r) => [r.id, Number(r.revision)]))

  test('1 000 edits made offline on one device all arrive after reconnect, each exactly once', async () => {
    for (let i = 0; i < MINERS; i++) miners.push(await newMiner(`bulk-${String(i).padStart(3, '0')}`))
    await waitFor('the new miners on phone A', async () => (await readStore(a.page, 'miners')).length >= MINERS + 1)
    const before = await revisions(miners)
    const auditBefore = Number((await knex()('audit_events').where({ action: 'miner.credentials.set' }).count({ n: '*' }))[0]!.n)

    await a.context.setOffline(true)
    const changeIds = await editOffline(miners, EDITS_PER_MINER, 'bulk')
    assert.equal((await syncStatus(a.page)).pending, MINERS * EDITS_PER_MINER)
    await a.context.setOffline(false)
    await waitFor('the outbox to empty', async () => (await readStore(a.page, 'outbox')).length === 0, 45_000)

    await assertExactlyOnce(miners, changeIds, EDITS_PER_MINER, 'bulk', before)
    const auditAfter = Number((await knex()('audit_events').where({ action: 'miner.credentials.set' }).count({ n: '*' }))[0]!.n)
    assert.equal(auditAfter - auditBefore, MINERS * EDITS_PER_MINER, 'one write per edit')
    await a.page.locator('[data-sync-state="synced"]').waitFor()
  })

  test('the API restarts in the middle of a push and an answer is lost: nothing lost, nothing applied twice', async () => {
    const ids = miners.slice(0, 100)
    const before = await revisions(ids)
    await a.context.setOffline(true)
    const changeIds = await editOffline(ids, 3, 'restart')
    // The first request reaches the API and is applied; the API goes down before its
    // answer reaches the phone, and stays unreachable until it has restarted.
    const dropped = harness.proxy!.dropNextAnswer((req) => req.method === 'POST' && req.url === '/api/sync', { thenDown: true })
    await a.context.setOffline(false)
    assert.equal(await dropped, 200)
    assert.equal(await appliedCount(changeIds), ids.length, 'the first push (one edit per miner) was applied')

    await harness.restartApi(async () => {
      await waitFor('phone A to see the server gone', async () => (await syncStatus(a.page)).flow === 'offline')
      // The lost answers were never stored, so their edits are all still queued.
      assert.equal((await readStore(a.page, 'outbox')).length, changeIds.length)
      await a.page.locator('[data-sync-state="offline"]').waitFor()
    })
    harness.proxy!.up()
    await waitFor('the outbox to empty after the restart', async () => (await readStore(a.page, 'outbox')).length === 0, 45_000)
    await assertExactlyOnce(ids, changeIds, 3, 'restart', before)
  })
})
