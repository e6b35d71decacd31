import assert from 'node:assert/strict'
import { ApiClient, ApiError } from './api_client.ts'

async function serve(handler: (request: Request) => Response | Promise<Response>) {
  const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, handler)
  return { url: `http://127.0.0.1:${server.addr.port}`, [Symbol.asyncDispose]: () => server.shutdown() }
}

Deno.test('ApiClient sorts failures into retryable (unreachable, 5xx, 429), revoked (401) and rejected (other 4xx)', async (t) => {
  const cases: [number, string, boolean][] = [[503, 'server', true], [500, 'server', true], [429, 'server', true], [401, 'revoked', false], [403, 'rejected', false], [400, 'rejected', false], [404, 'rejected', false]]
  for (const [status, kind, retryable] of cases) {
    await t.step(`HTTP ${status}`, async () => {
      await using api = await serve(() => Response.json({ statusCode: status, error: 'x', message: `says ${status}` }, { status }))
      const error = await new ApiClient({ baseUrl: api.url, token: 't' }).miners().then(() => undefined, (e) => e)
      assert.ok(error instanceof ApiError)
      assert.deepEqual([error.kind, error.retryable, error.status], [kind, retryable, status])
      assert.match(error.message, new RegExp(`^Cannot fetch miners: .*HTTP ${status} \\(says ${status}\\)`))
    })
  }
  await t.step('unreachable', async () => {
    const error = await new ApiClient({ baseUrl: 'http://127.0.0.1:9', token: 't' }).miners().then(() => undefined, (e) => e)
    assert.deepEqual([error?.kind, error?.retryable], ['unreachable', true])
  })
})

Deno.test('ApiClient gives up after its deadline with a retryable error', async () => {
  let release!: () => void
  const held = new Promise<void>((resolve) => (release = resolve))
  await using api = await serve(async () => (await held, Response.json({})))
  const started = performance.now()
  const error = await new ApiClient({ baseUrl: api.url, token: 't', timeoutMs: 100 }).keyring().then(() => undefined, (e) => e)
  release()
  assert.ok(performance.now() - started < 1000)
  assert.deepEqual([error?.kind, error?.message], ['unreachable', 'Cannot fetch keyring: no answer within 100 ms'])
})

Deno.test('ApiClient sends the bearer token and JSON, and keeps a path prefix of the base URL', async () => {
  const seen: string[] = []
  await using api = await serve(async (request) => {
    seen.push(`${request.method} ${new URL(request.url).pathname} ${request.headers.get('authorization')} ${await request.text()}`)
    return Response.json({ batch_id: 'b', accepted: 1, duplicate: false })
  })
  const ack = await new ApiClient({ baseUrl: `${api.url}/hashinsight/`, token: 'tok' }).sendTelemetry('{"batch_id":"b"}')
  assert.deepEqual(ack, { batch_id: 'b', accepted: 1, duplicate: false })
  assert.deepEqual(seen, ['POST /hashinsight/api/edge/telemetry Bearer tok {"batch_id":"b"}'])
})

Deno.test('ApiClient refuses a base URL that is not http(s)', () => {
  assert.throws(() => new ApiClient({ baseUrl: 'ftp://127.0.0.1' }), /Cannot use API URL 'ftp:\/\/127.0.0.1': expected http or https/)
  assert.throws(() => new ApiClient({ baseUrl: 'nope' }), /not a URL/)
})

Deno.test('ApiClient.poolKeys() fetches the tenant pool keys, whose blocks the granted data key opens', async () => {
  const { createDeviceKeyPair, createCryptoService, decryptBlock, encryptBlock, grantDataKey, openDeviceGrant } = await import('../e2ee/mod.ts')
  const tenantId = 'tenant-1', id = 'c0ffee00-0000-4000-8000-000000000001'
  const dataKey = await createCryptoService().importDataKey(new Uint8Array(32).fill(9), 'AAAAAAAAAAAAAAAAAAAAAA', tenantId, true)
  const block = await encryptBlock(dataKey, { api_key: 'k-1', api_secret: 's-1' }, { tenantId, kind: 'pool_api_key', subjectId: id, counter: 1 })
  const seen: string[] = []
  await using api = await serve((request) => {
    seen.push(`${request.method} ${new URL(request.url).pathname} ${request.headers.get('authorization')}`)
    return Response.json({ pool_keys: [{ id, label: 'Payouts', pool: 'Pool', scopes: ['read'], fingerprint: 'fp-1', version: 1, block }] })
  })
  const reply = await new ApiClient({ baseUrl: api.url, token: 'tok' }).poolKeys()
  assert.deepEqual(seen, ['GET /api/edge/pool-keys Bearer tok'])
  const device = await createDeviceKeyPair()
  const key = await openDeviceGrant(await grantDataKey(dataKey, device.publicKey, { tenantId, deviceId: 'd' }), device.privateKey, { tenantId, deviceId: 'd' })
  assert.deepEqual(await decryptBlock(key, reply.pool_keys[0]!.block, { tenantId, kind: 'pool_api_key', subjectId: id }), { api_key: 'k-1', api_secret: 's-1' })
})
