import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fakeBlockV1, fakeBlockV2, fakeKeyring, startTestApi, type Session, type TestApi } from '../../../tests/support/api.ts'

let api: TestApi
let owner: Session
let kid: string
let siteA: string
let siteB: string

const call = (s: Session, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  api.app.inject({ method, url, headers: s.headers, ...(payload ? { payload } : {}) })

async function newMiner(siteId: string, name = `m-${randomUUID().slice(0, 8)}`): Promise<string> {
  return (await call(owner, 'POST', `/api/sites/${siteId}/miners`, { name, ip_address: '10.0.0.9' })).json().id
}

/** Pulls until caught up; returns the latest revision seen per miner and the cursor. */
async function pullAll(s: Session, since?: string, seen = new Map<string, number>()): Promise<{ seen: Map<string, number>; cursor: string; pages: number }> {
  let cursor = since
  let pages = 0
  for (;;) {
    const res = await call(s, 'GET', `/api/sync?limit=7${cursor ? `&since=${cursor}` : ''}`)
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    pages++
    for (const m of body.miners) {
      // A miner's revision never goes backwards from one page to the next.
      expect(m.miner.revision).toBeGreaterThanOrEqual(seen.get(m.miner.id) ?? 0)
      seen.set(m.miner.id, m.miner.revision)
    }
    cursor = body.cursor
    if (!body.has_more) return { seen, cursor: cursor!, pages }
  }
}

beforeAll(async () => {
  api = await startTestApi()
  owner = await api.register()
  const keyring = fakeKeyring()
  kid = keyring.kid
  await call(owner, 'PUT', '/api/keyring', { keyring })
  siteA = (await call(owner, 'POST', '/api/sites', { name: 'A' })).json().id
  siteB = (await call(owner, 'POST', '/api/sites', { name: 'B' })).json().id
})
afterAll(() => api.close())

describe('GET /api/sync', () => {
  test('a fresh device pages through every miner, then sees each later change once', async () => {
    const tenant = await api.register()
    const site = (await call(tenant, 'POST', '/api/sites', { name: 'S' })).json().id
    const ids: string[] = []
    for (let i = 0; i < 20; i++) ids.push((await call(tenant, 'POST', `/api/sites/${site}/miners`, { name: `n${i}`, ip_address: '10.0.0.1' })).json().id)
    const first = await pullAll(tenant)
    expect([...first.seen.keys()].sort()).toEqual([...ids].sort())
    expect(first.pages).toBeGreaterThan(2)
    const again = await pullAll(tenant, first.cursor)
    expect(again.seen.size).toBe(0)
    await call(tenant, 'POST', `/api/miners/${ids[3]}/credentials`, { encrypted_credentials: fakeBlockV1() })
    const later = await pullAll(tenant, again.cursor)
    expect([...later.seen]).toEqual([[ids[3], 2]])
  })

  test('under concurrent writers the cursor misses nothing: the device ends exactly at the database', async () => {
    const miners = await Promise.all(Array.from({ length: 12 }, () => newMiner(siteA)))
    const start = await pullAll(owner)
    let stop = false
    const writers = Array.from({ length: 6 }, async (_, w) => {
      for (let i = 0; i < 25; i++) {
        const id = miners[(w * 7 + i) % miners.length]!
        // Transactions of different lengths commit out of the order their sequence numbers were taken in.
        await api.app.knex.transaction(async (trx) => {
          await trx('hosting_miners').where({ id }).update({ revision: trx.raw('revision + 1'), name: `w${w}-${i}` })
          await new Promise((r) => setTimeout(r, (i * 13 + w * 7) % 17))
        })
      }
    })
    const reader = (async () => {
      let state = { seen: start.seen, cursor: start.cursor }
      while (!stop) {
        state = await pullAll(owner, state.cursor, state.seen)
        await new Promise((r) => setTimeout(r, 5))
      }
      return state
    })()
    await Promise.all(writers)
    stop = true
    const caught = await pullAll(owner, (await reader).cursor, (await reader).seen)
    const db = await api.app.knex('hosting_miners').whereIn('id', miners).select('id', 'revision')
    for (const row of db) expect(caught.seen.get(row.id), row.id).toBe(Number(row.revision))
  })

  test("no change of another tenant or of a forbidden site ever appears", async () => {
    const inB = await newMiner(siteB)
    const limited = await api.addMember(owner, 'operator', [siteA])
    const stranger = await api.register()
    await call(owner, 'POST', `/api/miners/${inB}/credentials`, { encrypted_credentials: fakeBlockV1() })
    const seenByLimited = await pullAll(limited)
    expect(seenByLimited.seen.has(inB)).toBe(false)
    expect(seenByLimited.seen.size).toBeGreaterThan(0)
    const seenByStranger = await pullAll(stranger)
    expect(seenByStranger.seen.size).toBe(0)
  })

  test('a malformed cursor is a 400', async () => {
    const res = await call(owner, 'GET', '/api/sync?since=c.1.2;drop')
    expect(res.statusCode).toBe(400)
  })
})

describe('POST /api/sync', () => {
  const push = (changes: object[]) => call(owner, 'POST', '/api/sync', { changes })

  test('applies changes in order and a replayed change id changes nothing', async () => {
    const id = await newMiner(siteA)
    const c1 = { change_id: randomUUID(), kind: 'credentials', subject_id: id, base_revision: 1, block: fakeBlockV2(kid, 1) }
    const c2 = { change_id: randomUUID(), kind: 'credentials', subject_id: id, base_revision: 2, block: fakeBlockV2(kid, 2) }
    const first = await push([c1, c2])
    expect(first.json().results).toEqual([
      { change_id: c1.change_id, status: 'applied', revision: 2 },
      { change_id: c2.change_id, status: 'applied', revision: 3 },
    ])
    const replay = await push([c1, c2])
    expect(replay.json().results).toEqual(first.json().results)
    const events = await api.app.knex('audit_events').where({ target_id: id, action: 'miner.credentials.set' })
    expect(events).toHaveLength(2)
    expect((await api.app.knex('hosting_miners').where({ id }).first()).revision).toBe(3)
  })

  test('a push for many miners shares statements, each miner\'s chained changes still applied in order, results in push order', async () => {
    const ids = await Promise.all(Array.from({ length: 12 }, () => newMiner(siteA)))
    const changes = ids.flatMap((id, n) => [
      { change_id: randomUUID(), kind: 'credentials', subject_id: id, base_revision: 1, block: fakeBlockV2(kid, 10 * n + 1) },
      { change_id: randomUUID(), kind: 'credentials', subject_id: id, base_revision: 2, block: fakeBlockV2(kid, 10 * n + 2) },
    ])
    const pushed = await push(changes)
    expect(pushed.json().results).toEqual(changes.map((c) => ({ change_id: c.change_id, status: 'applied', revision: c.base_revision + 1 })))
    const rows = await api.app.knex('hosting_miners').whereIn('id', ids).select('id', 'revision', 'encrypted_credentials', api.app.knex.raw('xmin::text AS xmin'))
    for (const row of rows) expect([row.revision, row.encrypted_credentials.counter]).toEqual([3, 10 * ids.indexOf(row.id) + 2])
    expect(new Set(rows.map((r) => r.xmin)).size).toBeLessThan(ids.length)
  })

  test('a change on a stale base is a conflict carrying the server copy, and nothing is overwritten', async () => {
    const id = await newMiner(siteA)
    const serverBlock = fakeBlockV2(kid, 1)
    await call(owner, 'POST', `/api/miners/${id}/credentials`, { encrypted_credentials: serverBlock })
    const stale = { change_id: randomUUID(), kind: 'credentials', subject_id: id, base_revision: 1, block: fakeBlockV2(kid, 2) }
    const [result] = (await push([stale])).json().results
    expect(result.status).toBe('conflict')
    expect(result.current.miner.revision).toBe(2)
    expect(result.current.encrypted_credentials).toEqual(serverBlock)
    expect((await api.app.knex('hosting_miners').where({ id }).first()).encrypted_credentials).toEqual(serverBlock)
  })

  test('rules apply per change: a rolled-back counter and a foreign miner are rejected, the rest applied', async () => {
    const id = await newMiner(siteA)
    const foreign = await (async () => {
      const other = await api.register()
      const s = (await call(other, 'POST', '/api/sites', { name: 'X' })).json().id
      return (await call(other, 'POST', `/api/sites/${s}/miners`, { name: 'x', ip_address: '10.0.0.3' })).json().id
    })()
    const pushed = await push([
      { change_id: randomUUID(), kind: 'credentials', subject_id: id, base_revision: 1, block: fakeBlockV2(kid, 5) },
      { change_id: randomUUID(), kind: 'credentials', subject_id: id, base_revision: 2, block: fakeBlockV2(kid, 4) },
      { change_id: randomUUID(), kind: 'credentials', subject_id: foreign, base_revision: 1, block: fakeBlockV2(kid, 1) },
    ])
    expect(pushed.statusCode, pushed.body).toBe(200)
    const results = pushed.json().results
    expect(results?.map((r: { status: string }) => r.status), JSON.stringify(results)).toEqual(['applied', 'rejected', 'rejected'])
    expect(results[1].error).toMatchObject({ statusCode: 409 })
    expect(results[2].error).toMatchObject({ statusCode: 404 })
  })

  test('a plaintext secret in a change is refused before anything is applied', async () => {
    const id = await newMiner(siteA)
    const res = await push([
      { change_id: randomUUID(), kind: 'credentials', subject_id: id, base_revision: 1, block: fakeBlockV1() },
      { change_id: randomUUID(), kind: 'credentials', subject_id: id, base_revision: 2, block: fakeBlockV1(), password: 'x' },
    ])
    expect(res.statusCode).toBe(400)
    expect((await api.app.knex('hosting_miners').where({ id }).first()).revision).toBe(1)
  })
})
