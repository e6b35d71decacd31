import { afterAll, beforeAll, expect, test } from 'vitest'
import { startTestApi, type Session, type TestApi } from '../../../../tests/support/api.ts'

let api: TestApi
let owner: Session

beforeAll(async () => {
  api = await startTestApi()
  owner = await api.register()
})
afterAll(() => api.close())

const sites = (token: string) => api.app.inject({ method: 'GET', url: '/api/sites', headers: { authorization: `Bearer ${token}` } })

test('a session token accepted before is refused once it has expired', async () => {
  const token = api.app.jwt.sign({ sub: owner.userId, tid: owner.tenantId }, { expiresIn: 1 })
  expect((await sites(token)).statusCode).toBe(200)
  await new Promise((resolve) => setTimeout(resolve, 1100))
  const late = await sites(token)
  expect([late.statusCode, late.json().message]).toEqual([401, 'Missing, expired or invalid session token'])
})

test('a token differing in one character from an accepted one is refused', async () => {
  expect((await sites(owner.token)).statusCode).toBe(200)
  // The signature's first character: its last one carries two padding bits that
  // base64url decoders ignore, so changing it may leave the signature the same.
  const at = owner.token.lastIndexOf('.') + 1
  const changed = owner.token[at] === 'A' ? 'B' : 'A'
  const forged = owner.token.slice(0, at) + changed + owner.token.slice(at + 1)
  expect((await sites(forged)).statusCode).toBe(401)
})
