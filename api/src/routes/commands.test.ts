import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fakeBlockV2, fakeKeyring, startTestApi, type Session, type TestApi } from '../../../tests/support/api.ts'
import { connectSse } from '../../../tests/support/sse.ts'

let api: TestApi
let owner: Session
let operator: Session
let viewer: Session
let siteBOnly: Session
let siteA: string
let siteB: string
let minersA: string[]
let minerB: string
let kid: string
let deviceA: string
let deviceB: string

type Method = 'GET' | 'POST' | 'PUT'
const user = (s: Session, method: Method, url: string, payload?: object) =>
  api.app.inject({ method, url, headers: s.headers, ...(payload ? { payload } : {}) })
const device = (token: string, method: Method, url: string, payload?: object) =>
  api.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) })

async function enrolledDevice(siteId: string): Promise<string> {
  const created = await user(owner, 'POST', `/api/sites/${siteId}/devices`, { name: `rig-${randomUUID().slice(0, 6)}` })
  const enrolled = await api.app.inject({ method: 'POST', url: '/api/edge/enroll', payload: { code: created.json().enrollment_code } })
  return enrolled.json().token
}

/** A command body as the PWA sends it; the seal is random bytes the API cannot tell from a real one. */
const body = (patch: Record<string, unknown> = {}) => ({
  command_id: randomUUID(), site_id: siteA, miner_ids: minersA, action: 'reboot',
  expires_at: new Date(Date.now() + 600_000).toISOString(), sealed: fakeBlockV2(kid, 1), ...patch,
})
const commandRows = () => api.app.knex('commands').count({ n: '*' }).first().then((r) => Number(r!.n))
const audit = (id: string) => api.app.knex('audit_events').where({ target_id: id }).orderBy('id').select('action', 'actor_type', 'details')

/** Issues a command as the operator and takes it off site A's queue as its device. */
async function delivered(patch: Record<string, unknown> = {}): Promise<string> {
  const issued = await user(operator, 'POST', '/api/commands', body(patch))
  expect(issued.statusCode).toBe(201)
  const got = await device(deviceA, 'GET', '/api/edge/commands')
  expect(got.json().commands.map((c: { id: string }) => c.id)).toContain(issued.json().id)
  return issued.json().id
}

beforeAll(async () => {
  api = await startTestApi()
  owner = await api.register()
  siteA = (await user(owner, 'POST', '/api/sites', { name: 'A' })).json().id
  siteB = (await user(owner, 'POST', '/api/sites', { name: 'B' })).json().id
  minersA = []
  for (const i of [1, 2, 3]) minersA.push((await user(owner, 'POST', `/api/sites/${siteA}/miners`, { name: `a${i}`, ip_address: `10.0.0.${i}` })).json().id)
  minerB = (await user(owner, 'POST', `/api/sites/${siteB}/miners`, { name: 'b1', ip_address: '10.0.1.1' })).json().id
  const keyring = fakeKeyring()
  kid = keyring.kid
  expect((await user(owner, 'PUT', '/api/keyring', { keyring })).statusCode).toBe(200)
  operator = await api.addMember(owner, 'operator')
  viewer = await api.addMember(owner, 'viewer')
  siteBOnly = await api.addMember(owner, 'admin', [siteB])
  deviceA = await enrolledDevice(siteA)
  deviceB = await enrolledDevice(siteB)
})
afterAll(() => api.close())

describe('POST /api/commands', () => {
  test('an operator issues a sealed command: stored with routing metadata, pending, audited by id', async () => {
    const b = body({ action: 'set_pools' })
    const res = await user(operator, 'POST', '/api/commands', b)
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({ id: b.command_id, site_id: siteA, action: 'set_pools', miner_ids: minersA, status: 'pending', issued_by: operator.userId, counts: { pending: 3, ok: 0 } })
    expect(res.json()).not.toHaveProperty('sealed')
    const row = await api.app.knex('commands').where({ id: b.command_id }).first()
    expect(row.sealed).toEqual(b.sealed)
    expect(await audit(b.command_id)).toEqual([{ action: 'command.issue', actor_type: 'user', details: { site_id: siteA, action: 'set_pools', miners: 3 } }])
  })

  test('a viewer is refused with 403 and nothing is stored', async () => {
    const before = await commandRows()
    const res = await user(viewer, 'POST', '/api/commands', body())
    expect(res.statusCode).toBe(403)
    expect(res.json().message).toBe('Cannot issue a command: needs the operator role or above; you are viewer')
    expect(await commandRows()).toBe(before)
  })

  test('bad input gets a clear 4xx and stores nothing', async () => {
    const before = await commandRows()
    const dup = body()
    expect((await user(owner, 'POST', '/api/commands', dup)).statusCode).toBe(201)
    const table: [Record<string, unknown>, number, RegExp][] = [
      [{ miner_ids: [minersA[0], minerB] }, 400, /1 of the miners are not on this site/],
      [{ expires_at: new Date(Date.now() - 1000).toISOString() }, 400, /expires_at must be in the future/],
      [{ expires_at: new Date(Date.now() + 25 * 3600_000).toISOString() }, 400, /at most 24 hours ahead/],
      [{ params: { pools: [{ url: 'stratum+tcp://p:3333', user: 'u', password: 'pool-pw' }] } }, 400, /the plaintext field '\w+' is not accepted here/],
      [{ action: 'format_disk' }, 400, /action/],
      [{ sealed: fakeBlockV2('AAAAAAAAAAAAAAAAAAAAAA', 1) }, 409, /sealed under keyring AAAAAAAAAAAAAAAAAAAAAA/],
      [{ sealed: fakeBlockV2(kid, 2) }, 400, /counter 1/],
      [{ command_id: dup.command_id }, 409, /exists already/],
      [{ site_id: siteB, miner_ids: [minerB], command_id: 'not-a-uuid' }, 400, /command_id/],
    ]
    for (const [patch, status, message] of table) {
      const res = await user(owner, 'POST', '/api/commands', body(patch))
      expect([res.statusCode, res.json().message], JSON.stringify(patch)).toEqual([status, expect.stringMatching(message)])
    }
    expect(await commandRows()).toBe(before + 1)
  })

  test("a member limited to other sites gets 404 for the site and its commands", async () => {
    const issued = (await user(owner, 'POST', '/api/commands', body())).json().id
    expect((await user(siteBOnly, 'POST', '/api/commands', body())).statusCode).toBe(404)
    expect((await user(siteBOnly, 'GET', `/api/commands/${issued}`)).statusCode).toBe(404)
    expect((await user(siteBOnly, 'GET', '/api/commands')).json().commands.map((c: { id: string }) => c.id)).not.toContain(issued)
    expect((await user(viewer, 'GET', `/api/commands/${issued}`)).statusCode).toBe(200)
  })
})

describe('GET /api/edge/commands', () => {
  test("hands each pending command to its site's device once; another site's device never sees it", async () => {
    await device(deviceA, 'GET', '/api/edge/commands')
    const id = (await user(operator, 'POST', '/api/commands', body())).json().id
    expect((await device(deviceB, 'GET', '/api/edge/commands')).json().commands).toEqual([])
    const first = (await device(deviceA, 'GET', '/api/edge/commands')).json().commands
    expect(first).toEqual([expect.objectContaining({ id, site_id: siteA, action: 'reboot', miner_ids: minersA, sealed: expect.objectContaining({ kid, counter: 1 }) })])
    expect((await device(deviceA, 'GET', '/api/edge/commands')).json().commands).toEqual([])
    expect((await user(owner, 'GET', `/api/commands/${id}`)).json().status).toBe('delivered')
  })

  test('a long-poll returns as soon as a command is issued', async () => {
    await device(deviceA, 'GET', '/api/edge/commands')
    const started = Date.now()
    const waiting = device(deviceA, 'GET', '/api/edge/commands?wait_ms=10000')
    await new Promise((r) => setTimeout(r, 150))
    const id = (await user(operator, 'POST', '/api/commands', body())).json().id
    const got = await waiting
    expect(got.json().commands.map((c: { id: string }) => c.id)).toEqual([id])
    expect(Date.now() - started).toBeLessThan(3000)
  })

  test('a long-poll with nothing to hand out answers empty after its wait', async () => {
    await device(deviceB, 'GET', '/api/edge/commands')
    const started = Date.now()
    const got = await device(deviceB, 'GET', '/api/edge/commands?wait_ms=300')
    expect([got.statusCode, got.json().commands]).toEqual([200, []])
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
  })

  test('an expired command is never handed out and reads as expired', async () => {
    await device(deviceA, 'GET', '/api/edge/commands')
    const id = (await user(operator, 'POST', '/api/commands', body())).json().id
    await api.app.knex('commands').where({ id }).update({ expires_at: new Date(Date.now() - 1000) })
    expect((await device(deviceA, 'GET', '/api/edge/commands')).json().commands).toEqual([])
    expect((await user(owner, 'GET', `/api/commands/${id}`)).json().status).toBe('expired')
  })

  test('a delivered command that produced no result for a minute is handed out again; one with results is not', async () => {
    await device(deviceA, 'GET', '/api/edge/commands')
    const lost = await delivered()
    const answered = await delivered()
    await device(deviceA, 'POST', `/api/edge/commands/${answered}/result`, { results: [{ miner_id: minersA[0], status: 'ok' }] })
    expect((await device(deviceA, 'GET', '/api/edge/commands')).json().commands).toEqual([])
    await api.app.knex('commands').whereIn('id', [lost, answered]).update({ delivered_at: new Date(Date.now() - 61_000) })
    expect((await device(deviceA, 'GET', '/api/edge/commands')).json().commands.map((c: { id: string }) => c.id)).toEqual([lost])
    expect((await device(deviceA, 'GET', '/api/edge/commands')).json().commands).toEqual([])
  })

  test('a user token is not a device token', async () => {
    expect((await device(owner.token, 'GET', '/api/edge/commands')).statusCode).toBe(401)
  })
})

describe('POST /api/edge/commands/:id/result', () => {
  test('per-miner results arrive in parts; the last one completes the command and audits counts only', async () => {
    const id = await delivered()
    const part = await device(deviceA, 'POST', `/api/edge/commands/${id}/result`, { results: [{ miner_id: minersA[0], status: 'ok' }] })
    expect(part.json()).toEqual({ id, status: 'delivered', recorded: 1 })
    expect((await user(viewer, 'GET', `/api/commands/${id}`)).json().counts).toEqual({ ok: 1, error: 0, unsupported: 0, pending: 2 })
    const rest = await device(deviceA, 'POST', `/api/edge/commands/${id}/result`, {
      results: [{ miner_id: minersA[1], status: 'error', message: 'Cannot log in to the miner: wrong password' }, { miner_id: minersA[2], status: 'unsupported', message: 'not supported by this miner' }],
    })
    expect(rest.json()).toEqual({ id, status: 'done', recorded: 2 })
    const view = (await user(owner, 'GET', `/api/commands/${id}`)).json()
    expect(view.status).toBe('done')
    expect(view.results).toEqual(expect.arrayContaining([expect.objectContaining({ miner_id: minersA[1], status: 'error', message: 'Cannot log in to the miner: wrong password' })]))
    expect((await audit(id)).map((e) => [e.action, e.details])).toEqual([
      ['command.issue', { site_id: siteA, action: 'reboot', miners: 3 }], ['command.complete', { ok: 1, error: 1, unsupported: 1 }],
    ])
    const late = await device(deviceA, 'POST', `/api/edge/commands/${id}/result`, { results: [{ miner_id: minersA[0], status: 'error' }] })
    expect([late.statusCode, late.json().message]).toEqual([409, 'Cannot record the command result: the command is done, not awaiting results'])
  })

  test('each recorded part is announced on the stream with its results and counts; members of other sites do not see it', async () => {
    const base = api.app.server.listening ? `http://127.0.0.1:${(api.app.server.address() as { port: number }).port}` : await api.app.listen({ port: 0, host: '127.0.0.1' })
    const stream = async (s: Session) => connectSse(`${base}/api/stream?ticket=${encodeURIComponent((await user(s, 'POST', '/api/stream/ticket')).json().ticket)}`)
    const [watching, other] = [await stream(viewer), await stream(siteBOnly)]
    try {
      const id = await delivered()
      await device(deviceA, 'POST', `/api/edge/commands/${id}/result`, { results: [{ miner_id: minersA[0], status: 'ok' }] })
      await device(deviceA, 'POST', `/api/edge/commands/${id}/result`, { results: [{ miner_id: minersA[1], status: 'ok' }, { miner_id: minersA[2], status: 'unsupported', message: 'not supported by this miner' }] })
      const ofCommand = (e: { event: string; data: unknown }) => e.event === 'command.progress' && (e.data as { id: string }).id === id
      await watching.waitFor((e) => ofCommand(e) && (e.data as { status: string }).status === 'done', 10_000)
      const parts = watching.events.filter(ofCommand).map((e) => e.data as { status: string; counts: object; results: { miner_id: string; status: string }[] })
      expect(parts.map((p) => [p.status, p.counts, p.results.map((r) => [r.miner_id, r.status])])).toEqual([
        ['delivered', { ok: 1, error: 0, unsupported: 0, pending: 2 }, [[minersA[0], 'ok']]],
        ['done', { ok: 2, error: 0, unsupported: 1, pending: 0 }, [[minersA[1], 'ok'], [minersA[2], 'unsupported']]],
      ])
      // The stream's events come in order: an event of site B after this one proves site A's never came.
      const idB = (await user(owner, 'POST', '/api/commands', body({ site_id: siteB, miner_ids: [minerB] }))).json().id
      await device(deviceB, 'GET', '/api/edge/commands')
      await device(deviceB, 'POST', `/api/edge/commands/${idB}/result`, { results: [{ miner_id: minerB, status: 'ok' }] })
      await other.waitFor((e) => e.event === 'command.progress' && (e.data as { id: string }).id === idB, 10_000)
      expect(other.events.filter(ofCommand)).toEqual([])
    } finally {
      watching.close()
      other.close()
    }
  })

  test('an edge refusal is recorded with its reason', async () => {
    const id = await delivered()
    const res = await device(deviceA, 'POST', `/api/edge/commands/${id}/result`, { refused: { reason: 'undecryptable', message: 'Cannot decrypt: wrong key, damaged data' } })
    expect(res.json().status).toBe('refused')
    expect((await user(owner, 'GET', `/api/commands/${id}`)).json()).toMatchObject({ status: 'refused', refusal: { reason: 'undecryptable' } })
    expect((await audit(id)).at(-1)).toMatchObject({ action: 'command.refuse', actor_type: 'device', details: { reason: 'undecryptable' } })
  })

  test('results naming an address or another miner, or from another site, are refused and change nothing', async () => {
    const id = await delivered()
    const table: [string, object, number, RegExp][] = [
      [deviceA, { results: [{ miner_id: minersA[0], status: 'error', message: 'Cannot connect to 10.0.0.1:4028' }] }, 400, /contains an address/],
      [deviceA, { results: [{ miner_id: minerB, status: 'ok' }] }, 400, /is not one of the command's miners/],
      [deviceA, { results: [{ miner_id: minersA[0], status: 'rebooted' }] }, 400, /status/],
      [deviceB, { results: [{ miner_id: minersA[0], status: 'ok' }] }, 404, /not found/],
    ]
    for (const [token, payload, status, message] of table) {
      const res = await device(token, 'POST', `/api/edge/commands/${id}/result`, payload)
      expect([res.statusCode, res.json().message]).toEqual([status, expect.stringMatching(message)])
    }
    expect(await api.app.knex('command_results').where({ command_id: id })).toEqual([])
  })
})
