/**
 * HTTP Digest authentication (RFC 7616; MD5 or SHA-256, qop=auth) for miners' web
 * interfaces such as Antminer's stock firmware, over `MinerHttp`. The first request goes
 * without credentials; a 401 with a Digest challenge is answered, and the challenge is
 * reused (nonce count rising) for that miner's next requests. The password
 * never leaves this process in clear: only the digest response is sent.
 */
import { createHash } from 'node:crypto'
import type { HttpReply, HttpRequester } from './http_reply.ts'

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
const newCnonce = () => crypto.randomUUID().replaceAll('-', '')

/** A parsed Digest challenge, checked to be one this client can answer. */
interface Challenge {
  params: Record<string, string>
  algorithm: string
  hash: (text: string) => string
  qop: boolean
}

function parseChallenge(header: string): Challenge {
  const params = challengeParams(header)
  if (!params?.nonce || params.realm === undefined) throw new DigestAuthError('Cannot log in to the miner: it did not offer Digest authentication')
  const algorithm = (params.algorithm ?? 'MD5').toUpperCase()
  const hashName = HASHES[algorithm]
  if (!hashName) throw new DigestAuthError(`Cannot log in to the miner: unsupported digest algorithm ${algorithm}`)
  const qop = (params.qop ?? '').split(',').some((q) => q.trim() === 'auth')
  return { params, algorithm, hash: (text) => createHash(hashName).update(text).digest('hex'), qop }
}

/**
 * The `Authorization` value answering `challenge` for one request.
 * @throws {DigestAuthError} when the challenge is not a Digest one we can answer
 */
export function digestAuthorization(challenge: string, login: WebLogin, method: string, uri: string, cnonce = newCnonce(), count = 1): string {
  return answer(parseChallenge(challenge), login, method, uri, cnonce, count)
}

function answer(c: Challenge, login: WebLogin, method: string, uri: string, cnonce: string, count: number): string {
  const { params: p, hash: h } = c
  const ha1 = h(`${login.user}:${p.realm}:${login.password}`)
  const ha2 = h(`${method}:${uri}`)
  const nc = count.toString(16).padStart(8, '0')
  const response = c.qop ? h(`${ha1}:${p.nonce}:${nc}:${cnonce}:auth:${ha2}`) : h(`${ha1}:${p.nonce}:${ha2}`)
  let header = `Digest username=${quote(login.user)}, realm=${quote(p.realm!)}, nonce=${quote(p.nonce!)}, uri=${quote(uri)}, algorithm=${c.algorithm}, response=${quote(response)}`
  if (c.qop) header += `, qop=auth, nc=${nc}, cnonce=${quote(cnonce)}`
  if (p.opaque !== undefined) header += `, opaque=${quote(p.opaque)}`
  return header
}

// The last challenge per miner and login, parsed: later requests answer it at once
// (with a rising nonce count) instead of paying a 401 round trip each. Bounded; a
// stale nonce costs one 401 and a fresh challenge. No password is kept here.
const challenges = new Map<string, { challenge: Challenge; count: number }>()
const MAX_CHALLENGES = 20_000

/**
 * Sends one request to the miner's web interface with Digest authentication as `login`.
 * @throws {DigestAuthError} when the miner refuses the login (still 401 after answering)
 */
export async function digestRequest(http: HttpRequester, login: WebLogin, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<HttpReply> {
  const cacheKey = `${http.authority} ${login.user}`
  const send = (c: Challenge, count: number) =>
    http.request(method, path, { ...headers, authorization: answer(c, login, method, path, newCnonce(), count) }, body)
  const cached = challenges.get(cacheKey)
  const first = cached ? await send(cached.challenge, ++cached.count) : await http.request(method, path, headers, body)
  if (first.status !== 401) return first
  const offered = first.headers.get('www-authenticate')?.find((value) => /^Digest\s/i.test(value))
  if (!offered) throw new DigestAuthError('Cannot log in to the miner: it answered 401 without a Digest challenge')
  const challenge = parseChallenge(offered)
  const second = await send(challenge, 1)
  if (second.status === 401) {
    challenges.delete(cacheKey)
    throw new DigestAuthError('Cannot log in to the miner: its web login refused the stored user name or password')
  }
  if (challenges.size >= MAX_CHALLENGES && !challenges.has(cacheKey)) challenges.delete(challenges.keys().next().value!)
  challenges.set(cacheKey, { challenge, count: 1 })
  return second
}
