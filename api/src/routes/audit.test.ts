import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { appendAudit, sealAudit } from '../lib/audit.ts'
import { fakeBlockV1, startTestApi, type Session, type TestApi } from '../../../tests/support/api.ts'

let api: TestApi
let owner: Session

const get = (url: string, s = owner) => api.app.inject({ method: 'GET', url, headers: s.headers })

beforeAll(async () => {
  api = await startTestApi()
  owner = await api.register()
  const siteId = (await api.app.inject({ method: 'POST', url: '/api/sites', headers: owner.headers, payload: { name: 'S' } })).json().id
  for (let i = 0; i < 4; i++) {
    const minerId = (await api.app.inject({ method: 'POST', url: `/api/sites/${siteId}/miners`, headers: owner.headers, payload: { name: `m${i}`, ip_address: '10.0.0.2' } })).json().id
    await api.app.inject({ method: 'POST', url: `/api/miners/${minerId}/credentials`, headers: owner.headers, payload: { encrypted_credentials: fakeBlockV1() } })
  }
})
afterAll(() => api.close())

const events = () => api.app.knex('audit_events').where({ tenant_id: owner.tenantId }).orderBy('id')

describe('GET /api/audit', () => {
  test('lists every write, newest first, each linked to the one before', async () => {
    const list = (await get('/api/audit')).json().events
    expect(list.map((e: { action: string }) => e.action)).toEqual([
      'miner.credentials.set', 'miner.create', 'miner.credentials.set', 'miner.create', 'miner.credentials.set',
      'miner.create', 'miner.credentials.set', 'miner.create', 'site.create', 'tenant.create',
    ])
    for (let i = 0; i < list.length - 1; i++) expect(list[i].prev_hash).toBe(list[i + 1].hash)
    expect(list.at(-1).prev_hash).toBe('0'.repeat(64))
  })

  test('pages with before and limit', async () => {
    const all = (await get('/api/audit')).json().events
    const page = (await get(`/api/audit?limit=3&before=${all[2].seq}`)).json().events
    expect(page.map((e: { id: string }) => e.id)).toEqual(all.slice(3, 6).map((e: { id: string }) => e.id))
  })
})

describe('GET /api/audit/verify', () => {
  test('an untouched chain verifies', async () => {
    expect((await get('/api/audit/verify')).json()).toEqual({ ok: true, checked: 10, first_broken_id: null, reason: null })
  })

  test('an altered event is found at its own id, and fixing it restores the chain', async () => {
    const rows = await events()
    const target = rows[4]
    await api.app.knex('audit_events').where({ id: target.id }).update({ action: 'miner.delete' })
    const result = (await get('/api/audit/verify')).json()
    expect(result).toMatchObject({ ok: false, checked: 4, first_broken_id: String(target.id) })
    expect(result.reason).toMatch(/altered/)
    await api.app.knex('audit_events').where({ id: target.id }).update({ action: target.action })
    expect((await get('/api/audit/verify')).json().ok).toBe(true)
  })

  test('a deleted event breaks the link of the one after it', async () => {
    const rows = await events()
    await api.app.knex('audit_events').where({ id: rows[6].id }).delete()
    const result = (await get('/api/audit/verify')).json()
    expect(result).toMatchObject({ ok: false, first_broken_id: String(rows[7].id) })
    expect(result.reason).toMatch(/removed, inserted or reordered/)
    await api.app.knex('audit_events').insert(rows[6])
  })

  test("a rehashed forgery still breaks at the next event's link", async () => {
    const rows = await events()
    // An attacker who rewrites an event and recomputes its hash cannot fix the successor's prev_hash
    // without rewriting every later event too; verify catches the first mismatch.
    await api.app.knex('audit_events').where({ id: rows[2].id }).update({ hash: 'f'.repeat(64) })
    expect((await get('/api/audit/verify')).json()).toMatchObject({ ok: false, first_broken_id: String(rows[2].id) })
    await api.app.knex('audit_events').where({ id: rows[2].id }).update({ hash: rows[2].hash })
  })

  test('other tenants have chains of their own', async () => {
    const other = await api.register()
    expect((await get('/api/audit/verify', other)).json()).toEqual({ ok: true, checked: 1, first_broken_id: null, reason: null })
  })
})

describe('the background sealer', () => {
  test('links new events into the chain without anyone asking', async () => {
    const siteRes = await api.app.inject({ method: 'POST', url: '/api/sites', headers: owner.headers, payload: { name: `Sealed ${Date.now()}` } })
    expect(siteRes.statusCode).toBe(201)
    const pending = () => api.app.knex('audit_events').where({ target_id: siteRes.json().id }).first('hash', 'chain_seq')
    let row = await pending()
    for (let i = 0; i < 50 && row.hash === null; i++) {
      await new Promise((r) => setTimeout(r, 50))
      row = await pending()
    }
    expect(row.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(Number(row.chain_seq)).toBeGreaterThan(1)
  })
})

describe('sealing a batch', () => {
  test("events of several tenants interleaved in one batch each join their own tenant's chain, and every chain verifies", async () => {
    const a = await api.register()
    const b = await api.register()
    const knex = api.app.knex
    // Hold the seal lock so the background sealer cannot split the batch.
    await knex.transaction(async (trx) => {
      await trx.raw(`SELECT pg_advisory_xact_lock(hashtextextended('audit:seal', 7))`)
      for (const tenantId of [a.tenantId, b.tenantId, a.tenantId, null, a.tenantId, b.tenantId, null]) {
        await appendAudit(trx, { tenantId, actorType: 'system', actorId: null, action: 'test.interleaved', details: { n: 1, quote: 'say "hi"\n' } })
      }
    })
    await sealAudit(knex, true)
    for (const [session, count] of [[a, 4], [b, 3]] as const) {
      const seqs = (await knex('audit_events').where({ tenant_id: session.tenantId }).orderBy('id').pluck('chain_seq')).map(Number)
      expect(seqs).toEqual(Array.from({ length: count }, (_, i) => i + 1))
      expect((await get('/api/audit/verify', session)).json()).toMatchObject({ ok: true, checked: count })
    }
    const system = await knex('audit_events').whereNull('tenant_id').orderBy('chain_seq').select('chain_seq', 'prev_hash', 'hash')
    for (let i = 1; i < system.length; i++) {
      expect(Number(system[i].chain_seq)).toBe(Number(system[i - 1].chain_seq) + 1)
      expect(system[i].prev_hash).toBe(system[i - 1].hash)
    }
    // The system chain (no tenant) has no verify route: recompute its hashes with the chain's one hash function.
    const { rows } = await knex.raw(`SELECT count(*) FILTER (WHERE hash <> audit_event_hash(prev_hash, tenant_id, actor_type, actor_id, action,
      target_type, target_id, details, at)) AS wrong, count(*) AS sealed FROM audit_events WHERE tenant_id IS NULL`)
    expect(Number(rows[0].sealed)).toBeGreaterThanOrEqual(2)
    expect(Number(rows[0].wrong)).toBe(0)
  })
})
