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
  const last = owner.token.at(-1) === 'A' ? 'B' : 'A'
  expect((await sites(owner.token.slice(0, -1) + last)).statusCode).toBe(401)
})
