/**
 * Calls to the API (same origin, JSON, Bearer session token). Errors come back as
 * ApiError with the API's own message, or as OfflineError when the network failed,
 * which the outbox treats as "try again later".
 */

/** The API answered with an error status; `message` is its human-readable reason. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(readonly status: number, message: string) {
    super(message)
  }
}

/** The request never got an answer (offline, server down, timeout). */
export class OfflineError extends Error {
  override readonly name = 'OfflineError'
  constructor() {
    super('Cannot reach the server: you seem to be offline; changes are kept on this device')
  }
}

const TIMEOUT_MS = 20_000

/**
 * Sends one request and returns the parsed JSON body.
 * @example const { sites } = await api<{ sites: Site[] }>('GET', '/api/sites', token)
 */
export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, token: string | null, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (token) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  let response: Response
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      cache: 'no-store',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
  } catch {
    throw new OfflineError()
  }
  const text = await response.text()
  let parsed: unknown = null
  try {
    parsed = text ? JSON.parse(text) : null
  } catch {
    // A proxy's HTML error page: fall through to the status below.
  }
  if (!response.ok) {
    const message = (parsed as { message?: unknown } | null)?.message
    throw new ApiError(response.status, typeof message === 'string' ? message : `The server answered ${response.status}`)
  }
  return parsed as T
}
