import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startTestApi, type TestApi } from '../../../tests/support/api.ts'
import { User } from '../models/user.ts'

let api: TestApi
beforeAll(async () => {
  api = await startTestApi()
})
afterAll(() => api.close())

const register = (payload: object) => api.app.inject({ method: 'POST', url: '/api/auth/register', payload })
const login = (payload: object) => api.app.inject({ method: 'POST', url: '/api/auth/login', payload })

describe('POST /api/auth/register', () => {
  test('creates the account and its tenant with the caller as owner', async () => {
    const res = await register({ email: 'Alice@Example.com', password: 'a long account password', tenantName: 'North Farm' })
    expect(res.statusCode).toBe(201)
    const body = res.json()
    expect(body.tenant).toMatchObject({ name: 'North Farm', role: 'owner' })
    expect(body.user.email).toBe('Alice@Example.com')
    const me = await api.app.inject({ method: 'GET', url: '/api/sites', headers: { authorization: `Bearer ${body.token}` } })
    expect(me.statusCode).toBe(200)
  })

  test('stores the account password only as a scrypt hash', async () => {
    await register({ email: 'hash@example.com', password: 'plain account password', tenantName: 'Hash Farm' })
    const user = await User.query(api.app.knex).findOne({ email: 'hash@example.com' })
    expect(user!.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/)
    expect(user!.password_hash).not.toContain('plain account password')
  })

  test('refuses a second account for the same email, whatever its case', async () => {
    await register({ email: 'dup@example.com', password: 'a long account password', tenantName: 'One' })
    const res = await register({ email: 'DUP@example.com', password: 'another long password', tenantName: 'Two' })
    expect(res.statusCode).toBe(409)
    expect(res.json().message).toMatch(/already exists/)
  })

  test('refuses a short password with a clear message', async () => {
    const res = await register({ email: 'short@example.com', password: 'short', tenantName: 'X' })
    expect(res.statusCode).toBe(400)
    expect(res.json().message).toMatch(/body\/password/)
  })
})

describe('POST /api/auth/login', () => {
  beforeAll(async () => {
    await register({ email: 'bob@example.com', password: 'bobs account password', tenantName: 'Bob Farm' })
  })

  test('signs in with the right password and returns a working token', async () => {
    const res = await login({ email: 'BOB@example.com', password: 'bobs account password' })
    expect(res.statusCode).toBe(200)
    const sites = await api.app.inject({ method: 'GET', url: '/api/sites', headers: { authorization: `Bearer ${res.json().token}` } })
    expect(sites.statusCode).toBe(200)
  })

  test('answers a wrong password and an unknown account alike', async () => {
    const wrong = await login({ email: 'bob@example.com', password: 'not the password' })
    const unknown = await login({ email: 'nobody@example.com', password: 'not the password' })
    expect(wrong.statusCode).toBe(401)
    expect(unknown.statusCode).toBe(401)
    expect(wrong.json().message).toBe(unknown.json().message)
  })

  test('a token signed with another secret is refused', async () => {
    const forged = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4IiwidGlkIjoieSJ9.c2lnbmF0dXJl'
    const res = await api.app.inject({ method: 'GET', url: '/api/sites', headers: { authorization: `Bearer ${forged}` } })
    expect(res.statusCode).toBe(401)
  })
})

describe('login rate limits', () => {
  let limited: TestApi
  beforeAll(async () => {
    limited = await startTestApi({ loginRateLimit: 3 })
  })
  afterAll(() => limited.close())

  test('too many attempts from one address get 429', async () => {
    const codes: number[] = []
    for (let i = 0; i < 5; i++) {
      const res = await limited.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: `x${i}@example.com`, password: 'wrong password' } })
      codes.push(res.statusCode)
    }
    expect(codes.slice(0, 3)).toEqual([401, 401, 401])
    expect(codes.slice(3)).toEqual([429, 429])
  })

  test('too many failures for one account get 429 even from many addresses', async () => {
    await limited.app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: 'target@example.com', password: 'target account password', tenantName: 'T' }, remoteAddress: '10.0.0.250' })
    const codes: number[] = []
    for (let i = 0; i < 4; i++) {
      const res = await limited.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'target@example.com', password: 'wrong password' }, remoteAddress: `10.0.1.${i + 1}` })
      codes.push(res.statusCode)
    }
    expect(codes).toEqual([401, 401, 401, 429])
  })
})
