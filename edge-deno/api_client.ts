/**
 * The edge runtime's one client of the HashInsight API. Every call has a deadline,
 * and every failure is an {@linkcode ApiError} whose `kind` tells the caller what to
 * do: retry later (`unreachable`, `server`), stop (`revoked`), or give up on that one
 * request (`rejected`).
 */
import type { DiscoveredMiner, EdgeMinersResponse, EnrollResponse, TelemetryBatch } from '../api/src/schemas/edge.ts'
import type { PoolStatsAck, PoolStatsBatch } from '../api/src/schemas/pool_stats.ts'
import type { DeviceKeyGrant, DevicePublicKey, WrappedKeyring } from '../e2ee/mod.ts'

export type { DiscoveredMiner, EdgeMinersResponse, EnrollResponse, PoolStatsAck, PoolStatsBatch, TelemetryBatch }

/** What went wrong, by what the caller should do about it. */
export type ApiErrorKind =
  /** No answer: DNS, connect, TLS, deadline. Retry later. */
  | 'unreachable'
  /** 5xx or 429, or an answer that is not the JSON we expect. Retry later. */
  | 'server'
  /** 401: the device token is unknown or revoked. Stop; the device must be enrolled again. */
  | 'revoked'
  /** Any other 4xx: the API refused this request as it is. Retrying it cannot help. */
  | 'rejected'

/** A failed API call. */
export class ApiError extends Error {
  override name = 'ApiError'
  constructor(readonly kind: ApiErrorKind, message: string, readonly status?: number, options?: ErrorOptions) {
    super(message, options)
  }

  /** True when the same request may succeed later. */
  get retryable(): boolean {
    return this.kind === 'unreachable' || this.kind === 'server'
  }
}

/** What the API answers to a telemetry batch. */
export interface TelemetryAck {
  batch_id: string
  accepted: number
  duplicate: boolean
}

/** What `GET /api/edge/grant` answers. */
export interface GrantReply {
  device_id: string
  tenant_id: string
  grant: DeviceKeyGrant | null
}

/** What `GET /api/edge/pool-keys` answers. */
export interface PoolKeysReply {
  pool_keys: { id: string; label: string; pool: string; scopes: string[]; fingerprint: string; version: number; block: unknown }[]
}

/** What `GET /api/edge/keyring` answers. */
export interface KeyringReply {
  keyring: WrappedKeyring | null
  revision: number | null
}

export interface ApiClientOptions {
  /** Base URL, e.g. `https://hashinsight.example` (a path prefix is kept). */
  baseUrl: string
  /** The device token from enrolment; not needed to enrol. */
  token?: string
  /** Deadline per request, ms (default 15 000). */
  timeoutMs?: number
  /** Aborts every request, e.g. when the collector stops. */
  signal?: AbortSignal
  /** For tests. */
  fetch?: typeof fetch
}

/**
 * @example
 * const api = new ApiClient({ baseUrl: 'http://127.0.0.1:8080', token })
 * const { miners } = await api.miners()
 */
export class ApiClient {
  readonly #base: string
  readonly #options: ApiClientOptions

  constructor(options: ApiClientOptions) {
    let url: URL
    try {
      url = new URL(options.baseUrl)
    } catch {
      throw new TypeError(`Cannot use API URL '${options.baseUrl}': not a URL`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`Cannot use API URL '${options.baseUrl}': expected http or https`)
    this.#base = url.href.replace(/\/+$/, '')
    this.#options = options
  }

  /**
   * Claims a one-time enrolment code, sending the device's public key when given.
   * A 401 here means the code is unknown, used or expired.
   */
  enroll(code: string, publicKey?: DevicePublicKey): Promise<EnrollResponse> {
    return this.#call('POST', '/api/edge/enroll', 'enroll', publicKey ? { code, public_key: publicKey } : { code }, false)
  }

  /** This device's key grant from the owner, or null when it has none yet. */
  grant(): Promise<GrantReply> {
    return this.#call('GET', '/api/edge/grant', 'fetch key grant')
  }

  /** The device's site miners with their encrypted blocks. */
  miners(): Promise<EdgeMinersResponse> {
    return this.#call('GET', '/api/edge/miners', 'fetch miners')
  }

  /** Adds miners found by `scan --add` to the device's site (ids chosen here; repeats are left alone). */
  addMiners(miners: DiscoveredMiner[]): Promise<{ created: string[]; existing: string[] }> {
    return this.#call('POST', '/api/edge/miners', 'add miners', { miners })
  }

  /** The tenant's wrapped keyring, or null when it has none. */
  keyring(): Promise<KeyringReply> {
    return this.#call('GET', '/api/edge/keyring', 'fetch keyring')
  }

  /**
   * The tenant's pool API keys: label, pool and scopes in clear, key and secret in a
   * v2 block of kind `pool_api_key` (subject: the key's id) that the granted data key opens.
   */
  poolKeys(): Promise<PoolKeysReply> {
    return this.#call('GET', '/api/edge/pool-keys', 'fetch pool keys')
  }

  /** Sends one batch of pool statistics (as spooled text, or an object); stored once per batch id, like telemetry. */
  sendPoolStats(batch: PoolStatsBatch | string): Promise<PoolStatsAck> {
    return this.#call('POST', '/api/edge/pool-stats', 'send pool statistics', batch)
  }

  /** Sends one batch; the API stores a batch id once, so sending it again is harmless. */
  sendTelemetry(batch: TelemetryBatch | string): Promise<TelemetryAck> {
    return this.#call('POST', '/api/edge/telemetry', 'send telemetry', batch)
  }

  async #call<T>(method: string, path: string, action: string, body?: unknown, auth = true): Promise<T> {
    const { timeoutMs = 15_000, signal } = this.#options
    const headers: Record<string, string> = { accept: 'application/json' }
    if (auth) {
      if (!this.#options.token) throw new ApiError('revoked', `Cannot ${action}: this device is not enrolled`)
      headers.authorization = `Bearer ${this.#options.token}`
    }
    if (body !== undefined) headers['content-type'] = 'application/json'
    const deadline = AbortSignal.timeout(timeoutMs)
    let response: Response
    try {
      response = await (this.#options.fetch ?? fetch)(this.#base + path, {
        method,
        headers,
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      })
    } catch (error) {
      throw new ApiError('unreachable', `Cannot ${action}: ${describeFetchError(error, timeoutMs)}`, undefined, { cause: error })
    }
    let text: string
    try {
      text = await response.text()
    } catch (error) {
      throw new ApiError('unreachable', `Cannot ${action}: ${describeFetchError(error, timeoutMs)}`, response.status, { cause: error })
    }
    if (!response.ok) throw errorFor(response.status, action, text, auth)
    try {
      return JSON.parse(text) as T
    } catch {
      throw new ApiError('server', `Cannot ${action}: the API answered ${response.status} with a body that is not JSON`, response.status)
    }
  }
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`
  if (error instanceof DOMException && error.name === 'AbortError') return 'stopped'
  return `the API is unreachable (${error instanceof Error ? error.message : String(error)})`
}

function errorFor(status: number, action: string, text: string, auth: boolean): ApiError {
  let message = ''
  try {
    const parsed = JSON.parse(text)
    if (typeof parsed?.message === 'string') message = parsed.message
  } catch {
    // Not the API's JSON error (a proxy's HTML page, say); the status says enough.
  }
  const reason = `HTTP ${status}${message ? ` (${message.slice(0, 300)})` : ''}`
  if (status === 401) {
    const why = auth ? `the API refused this device's token (revoked or unknown; enrol again), ${reason}` : reason
    return new ApiError('revoked', `Cannot ${action}: ${why}`, status)
  }
  if (status >= 500 || status === 429 || status === 408) return new ApiError('server', `Cannot ${action}: ${reason}`, status)
  return new ApiError('rejected', `Cannot ${action}: ${reason}`, status)
}
