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
