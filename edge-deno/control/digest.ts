/**
 * A small HTTP Digest client over fetch (RFC 7616; MD5 or SHA-256, qop=auth), for
 * miners' web interfaces such as Antminer's stock firmware. The first request goes
 * without credentials; a 401 with a Digest challenge is answered, and the challenge is
 * reused (nonce count rising) for that miner's next requests. The password
 * never leaves this process in clear: only the digest response is sent.
 */
import { createHash } from 'node:crypto'

/** A web login, decrypted from the miner's credentials block. */
export interface WebLogin {
  user: string
  password: string
}

/** The login was refused: a wrong stored password, or another user name. */
export class DigestAuthError extends Error {
  override readonly name = 'DigestAuthError'
}

const HASHES: Record<string, string> = { 'MD5': 'md5', 'SHA-256': 'sha256' }

function challengeParams(header: string): Record<string, string> | null {
  if (!/^Digest\s/i.test(header)) return null
  const params: Record<string, string> = {}
  for (const m of header.slice(7).matchAll(/([a-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/gi)) {
    params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!
  }
  return params
}

const quote = (value: string) => `"${value.replace(/(["\\])/g, '\\$1')}"`

/**
 * The `Authorization` value answering `challenge` for one request.
 * @throws {DigestAuthError} when the challenge is not a Digest one we can answer
 */
export function digestAuthorization(challenge: string, login: WebLogin, method: string, uri: string, cnonce = crypto.randomUUID().replaceAll('-', ''), count = 1): string {
  const p = challengeParams(challenge)
  if (!p?.nonce || p.realm === undefined) throw new DigestAuthError('Cannot log in to the miner: it did not offer Digest authentication')
  const algorithm = (p.algorithm ?? 'MD5').toUpperCase()
  const hashName = HASHES[algorithm]
  if (!hashName) throw new DigestAuthError(`Cannot log in to the miner: unsupported digest algorithm ${algorithm}`)
  const h = (text: string) => createHash(hashName).update(text).digest('hex')
  const qops = (p.qop ?? '').split(',').map((q) => q.trim())
  const ha1 = h(`${login.user}:${p.realm}:${login.password}`)
  const ha2 = h(`${method}:${uri}`)
  const nc = count.toString(16).padStart(8, '0')
  const useQop = qops.includes('auth')
  const response = useQop ? h(`${ha1}:${p.nonce}:${nc}:${cnonce}:auth:${ha2}`) : h(`${ha1}:${p.nonce}:${ha2}`)
  const parts = [`username=${quote(login.user)}`, `realm=${quote(p.realm)}`, `nonce=${quote(p.nonce)}`, `uri=${quote(uri)}`, `algorithm=${algorithm}`, `response=${quote(response)}`]
  if (useQop) parts.push('qop=auth', `nc=${nc}`, `cnonce=${quote(cnonce)}`)
  if (p.opaque !== undefined) parts.push(`opaque=${quote(p.opaque)}`)
  return `Digest ${parts.join(', ')}`
}

// The last challenge per miner and login: later requests answer it at once (with a
// rising nonce count) instead of paying a 401 round trip each. Bounded; a stale
// nonce costs one 401 and a fresh challenge.
const challenges = new Map<string, { challenge: string; count: number }>()
const MAX_CHALLENGES = 20_000

/**
 * Fetches `url` with Digest authentication as `login`.
 * @throws {DigestAuthError} when the miner refuses the login (still 401 after answering)
 */
export async function digestFetch(url: string, login: WebLogin, init: RequestInit = {}): Promise<Response> {
  const method = (init.method ?? 'GET').toUpperCase()
  const { origin, pathname, search } = new URL(url)
  const cacheKey = `${origin} ${login.user}`
  const withAuth = (challenge: string, count: number) => {
    const headers = new Headers(init.headers)
    headers.set('authorization', digestAuthorization(challenge, login, method, pathname + search, undefined, count))
    return fetch(url, { ...init, method, headers })
  }
  const cached = challenges.get(cacheKey)
  let first: Response
  if (cached) {
    cached.count++
    first = await withAuth(cached.challenge, cached.count)
  } else {
    first = await fetch(url, { ...init, method })
  }
  if (first.status !== 401) return first
  await first.body?.cancel()
  const challenge = first.headers.get('www-authenticate')
  if (!challenge) throw new DigestAuthError('Cannot log in to the miner: it answered 401 without a challenge')
  const second = await withAuth(challenge, 1)
  if (second.status === 401) {
    challenges.delete(cacheKey)
    await second.body?.cancel()
    throw new DigestAuthError('Cannot log in to the miner: its web login refused the stored user name or password')
  }
  if (challenges.size >= MAX_CHALLENGES) challenges.delete(challenges.keys().next().value!)
  challenges.set(cacheKey, { challenge, count: 1 })
  return second
}
