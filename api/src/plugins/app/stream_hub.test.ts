/** Which stream events each member receives, and that an open stream follows its member's current role. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startTestApi, type Session, type TestApi } from '../../../../tests/support/api.ts'
import { waitFor } from '../../../../tests/e2e/support/wait_for.ts'
import { recordSecurityAlert } from '../../lib/security_alerts.ts'
import { publishStreamEvent } from '../../lib/stream_events.ts'
import type { Role } from '../../schemas/common.ts'
import type { StreamClient, StreamEvent } from './stream_hub.ts'

let api: TestApi
let owner: Session
let site: string
let markers = 0
// Membership notices this process has heard ('<user>:<tenant>').
const notices: string[] = []

/** A stream client as the route makes one, keeping what it is sent. */
type TestClient = StreamClient & { got: StreamEvent[]; closedWith: string | null }

async function attach(s: Session, since?: typeof api.app.streamHub.position): Promise<TestClient> {
  const actor = (await api.app.resolveActor(s.userId, s.tenantId))!
  const client: TestClient = { actor, got: [], closedWith: null, send: (e) => void client.got.push(e), close: (reason) => void (client.closedWith = reason) }
  await api.app.streamHub.attach(client, since)
  return client
}
const detachAll = (clients: TestClient[]) => clients.forEach((c) => api.app.streamHub.detach(c))
const typesOf = (c: TestClient) => c.got.map((e) => e.type)

/** A tenant-wide event every member sees: once a client has it, it has had everything published before. */
async function marker(tenantId = owner.tenantId): Promise<string> {
  const type = `test.marker.${++markers}`
  await publishStreamEvent(api.app.knex, { tenantId, siteId: null, type, data: {} })
  return type
}
const received = (clients: TestClient[], type: string) =>
  Promise.all(clients.map((c) => waitFor(`${type} at ${c.actor.role}`, async () => typesOf(c).includes(type), 10_000)))

const raiseAlert = () => api.app.knex.transaction((trx) =>
  recordSecurityAlert(trx, owner.tenantId, { kind: 'failed_logins', subject: { type: 'user', id: owner.userId }, count: 10, windowS: 60 }))
const setRole = (s: Session, role: Role) => api.app.knex('memberships').where({ user_id: s.userId, tenant_id: s.tenantId }).update({ role })

beforeAll(async () => {
  api = await startTestApi()
  api.app.dbEvents.on('membership_changed', (key) => void notices.push(key))
  owner = await api.register()
  site = (await api.app.inject({ method: 'POST', url: '/api/sites', headers: owner.headers, payload: { name: 'S' } })).json().id
})
afterAll(() => api.close())

describe('pool.stats on the stream', () => {
  test('reaches the owner, admins and all-site operators, live and on resume; never viewers, site-limited operators or other tenants', async () => {
    const members = {
      owner,
      admin: await api.addMember(owner, 'admin'),
      operator: await api.addMember(owner, 'operator'),
      limitedOperator: await api.addMember(owner, 'operator', [site]),
      viewer: await api.addMember(owner, 'viewer'),
    }
    const stranger = await api.register()
    const live = await Promise.all(Object.values(members).map((s) => attach(s)))
    const strangerLive = await attach(stranger)
    const before = api.app.streamHub.position
    try {
      await publishStreamEvent(api.app.knex, { tenantId: owner.tenantId, siteId: null, type: 'pool.stats', data: { pool_key_id: site, taken_at: new Date().toISOString(), ok: true } })
      const done = await marker()
      await received(live, done)
      const got = (clients: TestClient[]) => clients.map((c) => typesOf(c).includes('pool.stats'))
      // owner, admin, operator, limited operator, viewer
      const expected = [true, true, true, false, false]
      expect(got(live)).toEqual(expected)

      const resumed = await Promise.all(Object.values(members).map((s) => attach(s, before)))
      try {
        expect(resumed.map((c) => typesOf(c).includes(done))).toEqual([true, true, true, true, true])
        expect(got(resumed)).toEqual(expected)
      } finally {
        detachAll(resumed)
      }
      await received([strangerLive], await marker(stranger.tenantId))
      expect(typesOf(strangerLive)).not.toContain('pool.stats')
    } finally {
      detachAll([...live, strangerLive])
    }
  })
})

describe('an open stream follows its member', () => {
  test('an admin demoted to viewer while their stream is open stops receiving security.alert', async () => {
    const admin = await api.addMember(owner, 'admin')
    const stream = await attach(admin)
    try {
      await raiseAlert()
      await received([stream], await marker())
      expect(typesOf(stream).filter((t) => t === 'security.alert')).toHaveLength(1)

      await setRole(admin, 'viewer')
      await waitFor('the stream to learn the new role', async () => stream.actor.role === 'viewer', 10_000)
      await raiseAlert()
      await received([stream], await marker())
      expect(typesOf(stream).filter((t) => t === 'security.alert')).toHaveLength(1)
    } finally {
      detachAll([stream])
    }
  })

  test('a demotion made while the LISTEN connection was down reaches open streams once it is back', async () => {
    const admin = await api.addMember(owner, 'admin')
    const stream = await attach(admin)
    // The change goes unannounced, as it would while nobody listens.
    await api.app.knex.raw('ALTER TABLE memberships DISABLE TRIGGER memberships_notify')
    try {
      await setRole(admin, 'viewer')
      const { rows } = await api.app.knex.raw(
        `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'LISTEN %'`)
      expect(rows.length).toBeGreaterThan(0)
      await waitFor('the stream to learn the new role', async () => stream.actor.role === 'viewer', 10_000)
      await raiseAlert()
      await received([stream], await marker())
      expect(typesOf(stream)).not.toContain('security.alert')
    } finally {
      await api.app.knex.raw('ALTER TABLE memberships ENABLE TRIGGER memberships_notify')
      detachAll([stream])
    }
  })

  test('a client whose role changed before it joined gets its current role; one no longer a member is closed', async () => {
    const admin = await api.addMember(owner, 'admin')
    const leaver = await api.addMember(owner, 'operator')
    const actor = (await api.app.resolveActor(admin.userId, admin.tenantId))!
    const gone = (await api.app.resolveActor(leaver.userId, leaver.tenantId))!
    // Each was announced when added too: wait for one notice more than now.
    const heard = (s: Session) => notices.filter((k) => k === `${s.userId}:${s.tenantId}`).length
    const before = [heard(admin), heard(leaver)]
    await setRole(admin, 'viewer')
    await api.app.knex('memberships').where({ user_id: leaver.userId }).delete()
    // Heard before the clients attach, so only attach itself can bring them up to date.
    await waitFor('both notices', async () => heard(admin) > before[0]! && heard(leaver) > before[1]!, 10_000)

    // As if read just before the changes: the route resolves the actor, then attaches.
    const stale: TestClient = { actor, got: [], closedWith: null, send: (e) => void stale.got.push(e), close: (r) => void (stale.closedWith = r) }
    const removed: TestClient = { actor: gone, got: [], closedWith: null, send: (e) => void removed.got.push(e), close: (r) => void (removed.closedWith = r) }
    try {
      await api.app.streamHub.attach(stale)
      await api.app.streamHub.attach(removed)
      expect(stale.actor.role).toBe('viewer')
      expect(removed.closedWith).toBe('membership ended')
      await raiseAlert()
      await received([stale], await marker())
      expect(typesOf(stale)).not.toContain('security.alert')
      expect(removed.got).toEqual([])
    } finally {
      detachAll([stale, removed])
    }
  })
})
