/**
 * The server side of HTTP Digest authentication (RFC 7616, MD5 with qop=auth, as
 * Antminer's lighttpd asks for), checking a simulated miner's own login. Written
 * separately from the edge's client so a mistake in one is not mirrored in the other.
 */
import { createHash } from 'node:crypto'

export const REALM = 'antMiner Configuration'

const md5 = (text: string) => createHash('md5').update(text).digest('hex')

/** Parses `Digest a="b", c=d` into its parameters (null when not Digest). */
export function parseDigestHeader(header: string | null): Record<string, string> | null {
  if (!header || !/^Digest\s/i.test(header)) return null
  const params: Record<string, string> = {}
  for (const m of header.slice(7).matchAll(/([a-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/gi)) {
    params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!
  }
  return params
}

/** Nonces handed out by one miner; a response must use one of them. */
export class DigestGuard {
  readonly #nonces = new Set<string>()
  // HA1 depends on the login only, so it is kept as lighttpd's htdigest file keeps it.
  #ha1 = { of: '', value: '' }

  /** The `WWW-Authenticate` value of a 401, with a fresh nonce. */
  challenge(): string {
    const nonce = crypto.randomUUID().replaceAll('-', '')
    this.#nonces.add(nonce)
    if (this.#nonces.size > 1000) this.#nonces.delete(this.#nonces.values().next().value!)
    return `Digest realm="${REALM}", nonce="${nonce}", qop="auth", algorithm=MD5`
  }

  /** True when `header` proves knowledge of `login` for this method and URI. */
  verify(header: string | null, method: string, uri: string, login: { user: string; password: string }): boolean {
    const p = parseDigestHeader(header)
    if (!p || p.username !== login.user || p.realm !== REALM || !p.nonce || !this.#nonces.has(p.nonce) || p.uri !== uri) return false
    if ((p.algorithm ?? 'MD5').toUpperCase() !== 'MD5' || p.qop !== 'auth' || !p.nc || !p.cnonce) return false
    const secret = `${login.user}:${REALM}:${login.password}`
    if (this.#ha1.of !== secret) this.#ha1 = { of: secret, value: md5(secret) }
    const ha1 = this.#ha1.value
    const ha2 = md5(`${method}:${uri}`)
    return p.response === md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`)
  }
}
