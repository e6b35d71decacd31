/**
 * A fake HashInsight API for collector tests: `Deno.serve` on 127.0.0.1, port 0.
 * It records every telemetry batch it receives and answers as `telemetry` says
 * (default 200, idempotent on batch_id like the real one).
 */
import type { EdgeMinersResponse, PoolKeysReply, PoolStatsBatch, TelemetryBatch } from '../api_client.ts'
import type { DeviceKeyGrant, WrappedKeyring } from '../../e2ee/mod.ts'

export interface FakeApiOptions {
  token?: string
  miners?: EdgeMinersResponse
  keyring?: WrappedKeyring | null
  /** What GET /api/edge/grant answers (default null: no grant). */
  grant?: DeviceKeyGrant | null
  /** Status for the nth telemetry request (0-based), given the batch; default 200. */
  telemetry?: (n: number, batch: TelemetryBatch) => number
  /** Status for GET /api/edge/miners and /keyring; default 200. */
  reads?: () => number
  enroll?: Record<string, { device_id: string; tenant_id: string; site_id: string; token: string }>
  /** What GET /api/edge/pool-keys answers (default none). */
  poolKeys?: PoolKeysReply['pool_keys']
  /** Status for the nth pool-stats request (0-based); default 200. */
  poolStats?: (n: number) => number
}

export interface FakeApi extends AsyncDisposable {
  url: string
  options: FakeApiOptions
  /** Every telemetry body received, in order, whatever the answer. */
  received: TelemetryBatch[]
  /** Batches answered 200, once each (duplicates left out). */
  stored: TelemetryBatch[]
  /** Authorization headers seen. */
  authorizations: string[]
  /** Bodies of enrolment requests, in order. */
  enrollments: { code: string; public_key?: unknown }[]
  /** Every pool-stats body received, in order, whatever the answer. */
  poolStats: PoolStatsBatch[]
}

export function startFakeApi(options: FakeApiOptions = {}): FakeApi {
  const received: TelemetryBatch[] = []
  const stored: TelemetryBatch[] = []
  const authorizations: string[] = []
  const enrollments: { code: string; public_key?: unknown }[] = []
  const poolStats: PoolStatsBatch[] = []
  const seen = new Set<string>()
  const json = (status: number, body: unknown) => Response.json(body, { status })
  const error = (status: number, message: string) => json(status, { statusCode: status, error: 'Error', message })
  const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, async (request) => {
    const path = new URL(request.url).pathname
    if (path === '/api/edge/enroll' && request.method === 'POST') {
      const body = await request.json()
      enrollments.push(body)
      const { code } = body
      const device = options.enroll?.[code]
      // One-time, like the real codes.
      if (device) delete options.enroll![code]
      return device ? json(200, device) : error(401, 'This enrolment code is unknown, already used or expired; ask for a new one')
    }
    const auth = request.headers.get('authorization') ?? ''
    authorizations.push(auth)
    if (auth !== `Bearer ${options.token ?? 'device-token'}`) {
      await request.body?.cancel()
      return error(401, 'Device token is unknown or revoked')
    }
    if (request.method === 'GET') {
      const status = options.reads?.() ?? 200
      if (status !== 200) return error(status, 'down')
      if (path === '/api/edge/miners') return json(200, options.miners ?? { tenant_id: '', site_id: '', miners: [] })
      if (path === '/api/edge/keyring') return json(200, { keyring: options.keyring ?? null, revision: options.keyring ? 1 : null })
      if (path === '/api/edge/grant') return json(200, { device_id: '', tenant_id: '', grant: options.grant ?? null })
      if (path === '/api/edge/pool-keys') return json(200, { pool_keys: options.poolKeys ?? [] })
    }
    if (path === '/api/edge/pool-stats' && request.method === 'POST') {
      const batch = await request.json() as PoolStatsBatch
      const status = options.poolStats?.(poolStats.length) ?? 200
      poolStats.push(batch)
      return status === 200 ? json(200, { batch_id: batch.batch_id, accepted: batch.reports.length, duplicate: false }) : error(status, 'unavailable')
    }
    if (path === '/api/edge/telemetry' && request.method === 'POST') {
      const batch = await request.json() as TelemetryBatch
      const status = options.telemetry?.(received.length, batch) ?? 200
      received.push(batch)
      if (status !== 200) return error(status, status === 400 ? 'body/samples/0/hashrate_ths must be number' : 'unavailable')
      const duplicate = seen.has(batch.batch_id)
      if (!duplicate) {
        seen.add(batch.batch_id)
        stored.push(batch)
      }
      return json(200, { batch_id: batch.batch_id, accepted: duplicate ? 0 : batch.samples.length, duplicate })
    }
    await request.body?.cancel()
    return error(404, 'not found')
  })
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    options,
    received,
    stored,
    authorizations,
    enrollments,
    poolStats,
    async [Symbol.asyncDispose]() {
      await server.shutdown()
    },
  }
}
