import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fakeBlockV1, startTestApi, type TestApi } from '../../tests/support/api.ts'
import { freePort } from './db/embedded_postgres.ts'
import { buildApp, LOG_SERIALIZERS, REDACTED_PATHS } from './app.ts'
import { loadConfig } from './config.ts'

describe('GET /healthz', () => {
  let api: TestApi
  beforeAll(async () => {
    api = await startTestApi()
  })
  afterAll(() => api.close())

  test('reports the database as up', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/healthz' })
    expect(res.json()).toEqual({ status: 'ok', database: 'up' })
  })

  test('sets the security headers helmet provides', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/healthz' })
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['content-security-policy']).toContain("default-src 'self'")
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
  })

  test('a body over the size limit is refused with 413', async () => {
    const owner = await api.register()
    const res = await api.app.inject({ method: 'POST', url: '/api/sites', headers: owner.headers, payload: { name: 'x'.repeat(300_000) } })
    expect(res.statusCode).toBe(413)
  })
})

describe('with the database down', () => {
  test('healthz says so with 503, and routes answer 503 rather than 500', async () => {
    const port = await freePort()
    const app = await buildApp({ ...loadConfig({}), databaseUrl: `postgres://nobody:nothing@127.0.0.1:${port}/none`, jwtSecret: randomBytes(32).toString('hex') }, false)
    try {
      expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'degraded', database: 'down' })
      const token = app.jwt.sign({ sub: '00000000-0000-4000-8000-000000000001', tid: '00000000-0000-4000-8000-000000000002' })
      const res = await app.inject({ method: 'GET', url: '/api/sites', headers: { authorization: `Bearer ${token}` } })
      expect(res.statusCode).toBe(503)
      expect(res.json().message).toMatch(/database is unavailable/)
    } finally {
      await app.close()
    }
  })
})

describe('logs', () => {
  test('hold no token, password or block content, even at trace level', async () => {
    const lines: string[] = []
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done() } })
    const api = await startTestApi()
    await api.app.close()
    const db = api.databaseUrl
    const app = await buildApp(
      { ...loadConfig({}), databaseUrl: db, jwtSecret: randomBytes(32).toString('hex') },
      { level: 'trace', stream: sink, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers: LOG_SERIALIZERS },
    )
    try {
      const reg = await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: 'log@example.com', password: 'account password 123', tenantName: 'L' } })
      const token = reg.json().token
      const headers = { authorization: `Bearer ${token}` }
      const siteId = (await app.inject({ method: 'POST', url: '/api/sites', headers, payload: { name: 'S' } })).json().id
      const minerId = (await app.inject({ method: 'POST', url: `/api/sites/${siteId}/miners`, headers, payload: { name: 'm', ip_address: '10.0.0.2' } })).json().id
      const block = fakeBlockV1()
      await app.inject({ method: 'POST', url: `/api/miners/${minerId}/credentials`, headers, payload: { encrypted_credentials: block } })
      await app.inject({ method: 'POST', url: `/api/miners/${minerId}/credentials`, headers, payload: { encrypted_credentials: block, password: 'plaintext-secret-value' } })
      const { ticket } = (await app.inject({ method: 'POST', url: '/api/stream/ticket', headers })).json()
      // A bad ticket is enough to log the request line; the ticket must not be in it.
      await app.inject({ method: 'GET', url: `/api/stream?ticket=${ticket}x` })
      const log = lines.join('')
      expect(lines.length).toBeGreaterThan(5)
      expect(log).toContain('/api/stream')
      for (const secret of [token, ticket, 'account password 123', block.ciphertext, block.iv, block.salt, 'plaintext-secret-value']) {
        expect(log).not.toContain(secret)
      }
    } finally {
      await app.close()
      await api.close().catch(() => {})
    }
  })
})
