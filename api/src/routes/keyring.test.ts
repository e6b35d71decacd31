import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fakeKeyring, startTestApi, type Session, type TestApi } from '../../../tests/support/api.ts'

let api: TestApi
let owner: Session

const put = (s: Session, payload: object) => api.app.inject({ method: 'PUT', url: '/api/keyring', headers: s.headers, payload })
const get = (s: Session) => api.app.inject({ method: 'GET', url: '/api/keyring', headers: s.headers })

beforeAll(async () => {
  api = await startTestApi()
  owner = await api.register()
})
afterAll(() => api.close())

describe('GET/PUT /api/keyring', () => {
  test('a new tenant has no keyring', async () => {
    expect((await get(owner)).json()).toEqual({ keyring: null, revision: null })
  })

  test('create and re-wrap, each needing the revision it replaces; a new kid is refused here', async () => {
    const first = fakeKeyring()
    expect((await put(owner, { keyring: first })).json()).toEqual({ keyring: first, revision: 1 })
    // A second "create" racing the first one is refused rather than overwriting it.
    expect((await put(owner, { keyring: fakeKeyring() })).statusCode).toBe(409)

    const rewrapped = { ...fakeKeyring(first.kid) }
    expect((await put(owner, { keyring: rewrapped, base_revision: 1 })).json()).toEqual({ keyring: rewrapped, revision: 2 })
    const stale = await put(owner, { keyring: fakeKeyring(first.kid), base_revision: 1 })
    expect(stale.statusCode).toBe(409)
    expect(stale.json().message).toMatch(/revision 2/)

    // A new kid is a rotation: four eyes, then routes/key_rotation.ts (key_rotation.test.ts).
    const rotated = await put(owner, { keyring: fakeKeyring(), base_revision: 2 })
    expect(rotated.statusCode).toBe(409)
    expect(rotated.json().message).toMatch(/BATCH_REENCRYPT/)
    expect((await get(owner)).json()).toEqual({ keyring: rewrapped, revision: 2 })
    const actions = await api.app.knex('audit_events').where({ tenant_id: owner.tenantId, target_type: 'keyring' }).orderBy('id').pluck('action')
    expect(actions).toEqual(['keyring.create', 'keyring.rewrap'])
  })

  test('a KDF below 600 000 iterations is refused', async () => {
    const other = await api.register()
    const res = await put(other, { keyring: fakeKeyring(undefined, 599_999) })
    expect(res.statusCode).toBe(400)
    expect(res.json().message).toMatch(/below the floor of 600000/)
  })

  test('members read the keyring; only owner and admin change it', async () => {
    const viewer = await api.addMember(owner, 'viewer')
    const operator = await api.addMember(owner, 'operator')
    expect((await get(viewer)).json().keyring).not.toBeNull()
    const res = await put(operator, { keyring: fakeKeyring(), base_revision: 3 })
    expect(res.statusCode).toBe(403)
  })
})
