/**
 * The owner's path through the PWA in Chromium against the real API and
 * PostgreSQL: sign up, create the keyring, add a miner, save its login (Plan A),
 * lock and unlock, switch full end-to-end encryption on and off, and edit offline.
 * After each save the test reads the database: ciphertext only, never a secret.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, test } from 'vitest'
import { decryptBlock, encryptBlock, unlockKeyring, type DataKey } from '../../e2ee/mod.ts'
import type { Session } from '../support/api.ts'
import { startPwaHarness, type PwaHarness } from './support/pwa_harness.ts'
import { databaseText } from '../support/database_text.ts'
import { waitFor } from './support/wait_for.ts'

const EMAIL = `owner-${randomUUID()}@example.com`
const ACCOUNT_PASSWORD = 'account password 1234'
const PASSPHRASE = 'violet tractor ocean 42 lamp'
const LOGIN = { username: 'rig-admin-7f3q', password: 'S3cret-miner-pass-πx', pool_password: 'pool-pass-🐉-91z' }
const POOL = { pool_url: 'stratum+tcp://pool.example.net:3333', pool_user: 'acct-w9k.rig1' }
const ADDRESS = { ip_address: '10.77.3.21', port: 4029 }
const OFFLINE_PASSWORD = 'typed-while-offline-5ks'

let harness: PwaHarness
let context: BrowserContext
let page: Page
let minerId = ''
let tenantId = ''
let dataKey: DataKey
/** The Plan A block at counter 2, replayed later as a hostile server would. */
let olderCredentials: unknown

const knex = () => harness.api.app.knex
const miner = async () => knex()('hosting_miners').where({ id: minerId }).first()

async function assertNoPlaintext(secrets: string[]): Promise<void> {
  const text = await databaseText(knex())
  for (const secret of [...secrets, PASSPHRASE]) assert.ok(!text.includes(secret), `the database must not hold ${JSON.stringify(secret)}`)
}

async function unlock(passphrase = PASSPHRASE): Promise<void> {
  await page.getByLabel('Encryption passphrase').fill(passphrase)
  await page.getByRole('button', { name: 'Unlock' }).click()
}

const field = (label: string) => page.getByLabel(label, { exact: true })

beforeAll(async () => {
  harness = await startPwaHarness()
  ;({ context, page } = await harness.newPhone())
})

afterAll(async () => {
  await harness?.close()
})

describe('PWA owner flow', () => {
  test('sign up, create the keyring, add a miner and save its login: the database holds only ciphertext', async () => {
    await page.goto('/')
    await page.getByRole('tab', { name: 'Create account' }).click()
    await page.getByLabel('Email').fill(EMAIL)
    await page.getByLabel('Account password').fill(ACCOUNT_PASSWORD)
    await page.getByLabel('Farm name').fill('North Ridge Farm')
    await page.getByRole('button', { name: 'Create account' }).click()

    await field('Passphrase').fill(PASSPHRASE)
    await page.getByLabel('Type it again').fill(PASSPHRASE)
    await page.getByLabel('I understand').check()
    await page.screenshot({ path: '/tmp/pwa-keyring.png' })
    await page.getByRole('button', { name: 'Create encryption keys' }).click()

    await page.getByLabel('New site').fill('Hall B')
    await page.getByRole('button', { name: 'Add site' }).click()
    await page.getByRole('button', { name: /Hall B/ }).click()
    await page.getByRole('button', { name: 'Add miner' }).click()
    await field('Name').fill('S19-rack4-07')
    await page.getByLabel('Address (IP or host name)').fill(ADDRESS.ip_address)
    await field('Port').fill(String(ADDRESS.port))
    await page.getByRole('button', { name: 'Create miner' }).click()

    await page.getByRole('heading', { name: 'S19-rack4-07' }).waitFor()
    minerId = page.url().split('/').pop()!
    await field('Username').fill(LOGIN.username)
    await field('Password').fill(LOGIN.password)
    await field('Pool password').fill(LOGIN.pool_password)
    await page.getByRole('button', { name: 'Encrypt and save' }).click()
    await page.getByText('Encrypted and saved.').waitFor()
    await page.screenshot({ path: '/tmp/pwa-editor.png' })

    const row = await waitFor('the credentials block', async () => ((await miner())?.encrypted_credentials ? miner() : null))
    tenantId = row.tenant_id
    assert.equal(row.encrypted_credentials.version, 2)
    assert.equal(row.encrypted_credentials.counter, 1)
    assert.equal(row.ip_address, ADDRESS.ip_address)
    await assertNoPlaintext(Object.values(LOGIN))

    const keyring = await knex()('keyrings').where({ tenant_id: tenantId }).first()
    dataKey = await unlockKeyring({ kid: keyring.kid, kdf: keyring.kdf, wrapped_key: keyring.wrapped_key }, PASSPHRASE, tenantId)
    assert.deepEqual(await decryptBlock(dataKey, row.encrypted_credentials, { tenantId, kind: 'credentials', subjectId: minerId }), LOGIN)
  })

  test('after a reload the keyring is locked; a wrong passphrase says so, the right one brings the fields back', async () => {
    await page.reload()
    await unlock('not my passphrase at all')
    await page.getByRole('alert').filter({ hasText: 'That passphrase does not open your keyring' }).waitFor()
    await unlock()
    await page.getByRole('heading', { name: 'S19-rack4-07' }).waitFor()
    await waitFor('decrypted fields', async () => (await field('Username').inputValue()) === LOGIN.username)
    assert.equal(await field('Password').inputValue(), LOGIN.password)
    assert.equal(await field('Pool password').inputValue(), LOGIN.pool_password)
  })

  test('full end-to-end encryption on: the server drops the address and the block holds the whole connection', async () => {
    await page.getByLabel('Full end-to-end encryption').check()
    await page.getByText('These come from the encrypted configuration').waitFor()
    await field('Pool URL').fill(POOL.pool_url)
    await field('Pool user').fill(POOL.pool_user)
    await page.getByRole('button', { name: 'Encrypt and save' }).click()

    const row = await waitFor('full E2EE on', async () => ((await miner())?.use_full_e2ee ? miner() : null))
    assert.equal(row.ip_address, null)
    assert.equal(row.port, null)
    const connection = await decryptBlock(dataKey, row.encrypted_connection_full, { tenantId, kind: 'connection_full', subjectId: minerId })
    assert.deepEqual(connection, { ...ADDRESS, ...LOGIN, ...POOL })
    await assertNoPlaintext([...Object.values(LOGIN), ...Object.values(POOL), ADDRESS.ip_address])
  })

  test('full end-to-end encryption off takes four eyes: filed here, approved by a second admin, then back to Plan A with the login re-encrypted', async () => {
    await page.getByLabel('Full end-to-end encryption').uncheck()
    await page.getByLabel(/Why turn it off/).fill('The pool dashboard needs the address again')
    await page.getByRole('button', { name: 'Request to turn encryption off' }).click()
    await page.getByText('waiting for a second owner or admin to approve').waitFor()
    const request = await waitFor('a pending request', async () => knex()('change_requests').where({ target_id: minerId, status: 'PENDING' }).first())
    assert.equal((await miner()).use_full_e2ee, true, 'nothing changes before the approval')
    assert.equal((await miner()).ip_address, null)

    // The owner cannot approve their own request; a second admin does.
    const admin = await harness.api.addMember({ tenantId } as Session, 'admin')
    const approve = (headers: Record<string, string>) => harness.api.app.inject({ method: 'POST', url: `/api/changes/${request.id}/approve`, headers, payload: {} })
    const { id: ownerId } = await knex()('users').whereRaw('lower(email) = lower(?)', [EMAIL]).first()
    assert.equal((await approve({ authorization: `Bearer ${harness.api.app.jwt.sign({ sub: ownerId, tid: tenantId })}` })).statusCode, 403)
    const approved = await approve(admin.headers)
    assert.equal(approved.statusCode, 200, approved.body)

    await page.getByRole('button', { name: 'Check again' }).click()
    await page.getByRole('button', { name: 'Turn full encryption off now' }).click()
    const row = await waitFor('Plan A again', async () => {
      const m = await miner()
      return m && !m.use_full_e2ee && m.encrypted_credentials?.counter === 2 ? m : null
    })
    assert.equal(row.ip_address, ADDRESS.ip_address)
    assert.equal(row.port, ADDRESS.port)
    assert.deepEqual(await decryptBlock(dataKey, row.encrypted_credentials, { tenantId, kind: 'credentials', subjectId: minerId }), LOGIN)
    assert.equal((await knex()('change_requests').where({ id: request.id }).first()).status, 'EXECUTED')
    olderCredentials = row.encrypted_credentials
    await page.getByText('Plan A:').waitFor()
  })

  test('offline: the app reloads and works, an edit waits in the outbox across a reload and reaches the API when the network returns', async () => {
    await waitFor('an empty outbox', async () => (await outboxSize()) === 0)
    await context.setOffline(true)
    try {
      await page.reload()
      await unlock()
      await waitFor('decrypted fields offline', async () => (await field('Username').inputValue()) === LOGIN.username)
      await field('Password').fill(OFFLINE_PASSWORD)
      await page.getByRole('button', { name: 'Encrypt and save' }).click()
      await page.getByText('kept on this device').waitFor()

      await page.reload()
      await unlock()
      await page.getByText('Saved on this device, waiting to be sent.').waitFor()
      assert.equal(await field('Password').inputValue(), OFFLINE_PASSWORD)
      await page.screenshot({ path: '/tmp/pwa-offline.png', fullPage: true })
      assert.equal(await outboxSize(), 1)
      assert.equal((await miner()).encrypted_credentials.counter, 2)
    } finally {
      await context.setOffline(false)
    }
    const row = await waitFor('the offline edit on the server', async () => {
      const m = await miner()
      return m?.encrypted_credentials?.counter === 3 ? m : null
    })
    assert.deepEqual(await decryptBlock(dataKey, row.encrypted_credentials, { tenantId, kind: 'credentials', subjectId: minerId }), { ...LOGIN, password: OFFLINE_PASSWORD })
    await waitFor('the outbox to empty', async () => (await outboxSize()) === 0)
    await assertNoPlaintext([OFFLINE_PASSWORD])
  })
})

describe('PWA against a server that misbehaves or moved on', () => {
  test('an older block than this device has seen is refused with a clear message (rollback guard)', async () => {
    const current = (await miner()).encrypted_credentials
    await knex()('hosting_miners').where({ id: minerId }).update({ encrypted_credentials: olderCredentials })
    try {
      await page.reload()
      await unlock()
      await page.getByRole('alert').filter({ hasText: 'older copy of this miner' }).waitFor()
      assert.equal(await field('Password').inputValue(), '', 'the stale password is not shown')
    } finally {
      await knex()('hosting_miners').where({ id: minerId }).update({ encrypted_credentials: current })
    }
  })

  test('an offline edit the server answers with 409 stays in the outbox as a conflict, shown, not dropped', async () => {
    await page.reload()
    await unlock()
    await waitFor('decrypted fields', async () => (await field('Password').inputValue()) === OFFLINE_PASSWORD)
    await context.setOffline(true)
    try {
      await field('Password').fill('edited-on-this-phone')
      await page.getByRole('button', { name: 'Encrypt and save' }).click()
      await page.getByText('kept on this device').waitFor()
      // Meanwhile another device saves counter 4 first.
      const { id: userId } = await knex()('users').whereRaw('lower(email) = lower(?)', [EMAIL]).first()
      const block = await encryptBlock(dataKey, { ...LOGIN, password: 'saved-by-another-device' }, { tenantId, kind: 'credentials', subjectId: minerId, counter: 4 })
      const other = await harness.api.app.inject({
        method: 'POST', url: `/api/miners/${minerId}/credentials`, payload: { encrypted_credentials: block },
        headers: { authorization: `Bearer ${harness.api.app.jwt.sign({ sub: userId, tid: tenantId })}` },
      })
      assert.equal(other.statusCode, 200, other.body)
    } finally {
      await context.setOffline(false)
    }
    await page.getByText('Not accepted by the server').waitFor()
    await page.reload()
    await unlock()
    await page.getByText('Not accepted by the server').waitFor()
    assert.equal(await outboxSize(), 1)
    await page.screenshot({ path: '/tmp/pwa-conflict.png' })
    await page.getByRole('button', { name: 'Back' }).click()
    await page.getByRole('button', { name: 'Back' }).click()
    await page.getByRole('button', { name: 'Discard this edit' }).click()
    await waitFor('the outbox to empty', async () => (await outboxSize()) === 0)
  })

  test("another admin's request waits on the owner's home screen and is approved there", async () => {
    const admin = await harness.api.addMember({ tenantId } as Session, 'admin')
    const viewer = await harness.api.addMember({ tenantId } as Session, 'viewer')
    const filed = await harness.api.app.inject({
      method: 'POST', url: '/api/changes', headers: admin.headers,
      payload: { request_type: 'ROLE_CHANGE', target_type: 'member', target_id: viewer.userId, reason: 'Needs to add miners', requested_action: { role: 'operator' } },
    })
    assert.equal(filed.statusCode, 201, filed.body)
    await page.reload()
    await unlock()
    const panel = page.getByRole('region', { name: 'Requests waiting for your approval' })
    await panel.getByText('Needs to add miners').waitFor()
    await panel.getByRole('button', { name: 'Approve' }).click()
    const { id: ownerId } = await knex()('users').whereRaw('lower(email) = lower(?)', [EMAIL]).first()
    const decided = await waitFor('the approval', async () => knex()('change_requests').where({ id: filed.json().id, status: 'APPROVED' }).first())
    assert.equal(decided.decided_by, ownerId)
    await panel.waitFor({ state: 'detached' })
  })
})

/** Entries in the page's IndexedDB outbox (read with the raw API, as any script of the origin could). */
function outboxSize(): Promise<number> {
  return page.evaluate(() => new Promise<number>((resolve, reject) => {
    const idb = (globalThis as unknown as { indexedDB: any }).indexedDB
    const open = idb.open('hashinsight')
    open.onerror = () => reject(open.error)
    open.onsuccess = () => {
      const count = open.result.transaction('outbox').objectStore('outbox').count()
      count.onsuccess = () => {
        open.result.close()
        resolve(count.result as number)
      }
    }
  }))
}
