/**
 * Antpool's user API: every call is a form POST with `key`, `nonce` and `signature`,
 * the signature being HMAC-SHA256 over user id + key + nonce with the API secret, as 64
 * upper-case hex digits; the nonce must rise with every call. `/api/accountOverview.htm`
 * gives hashrates in H/s (10 minutes, 1 day), active and inactive workers and the
 * unpaid amount. Errors come as a non-zero `code` (-6 key, -7 signature, -8 address,
 * -9 permission, -10 user, -18 nonce). Antpool documents 600 requests per 10 minutes.
 */
import { amount, count, jsonOf, PoolQueryError, type PoolClient, toThs } from './pool_api.ts'

const label = 'Antpool'
const encoder = new TextEncoder()
const REFUSALS: Record<number, string> = { [-6]: 'API Key Error', [-7]: 'Signature Error', [-8]: 'IP Error', [-9]: 'Permission Error', [-10]: 'User Error' }
let lastNonce = 0

/** HMAC-SHA256(secret, userId + key + nonce) as upper-case hex. */
export async function antpoolSignature(secret: string, userId: string, key: string, nonce: number): Promise<string> {
  const hmac = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', hmac, encoder.encode(`${userId}${key}${nonce}`)))
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase()
}

/** Milliseconds, but never the same twice in this process (two keys in one millisecond). */
function nextNonce(): number {
  lastNonce = Math.max(Date.now(), lastNonce + 1)
  return lastNonce
}

export const antpool: PoolClient = {
  label,
  defaultBase: 'https://antpool.com',
  minGapMs: 1000,
  async query(credentials, request) {
    const { api_key: key, api_secret: secret, account: userId } = credentials
    if (!secret || !userId) throw new PoolQueryError('unsupported', `Cannot query ${label}: the key has no ${!secret ? 'API secret' : 'account (user id)'}; rotate it and fill it in`)
    const nonce = nextNonce()
    const body = new URLSearchParams({ key, nonce: String(nonce), signature: await antpoolSignature(secret, userId, key, nonce), coin: 'BTC', userId })
    const answer = await jsonOf(await request('/api/accountOverview.htm', { method: 'POST', body, headers: { accept: 'application/json' } }), label) as
      { code?: unknown; data?: Record<string, unknown> } | null
    const code = Number(answer?.code)
    if (code !== 0) {
      // The pool's own message is left out: only codes we know become words.
      if (REFUSALS[code]) throw new PoolQueryError('auth', `Cannot query ${label}: the pool refused the key (code ${code}, ${REFUSALS[code]}); check it or rotate it`)
      throw new PoolQueryError(Number.isInteger(code) ? 'server' : 'invalid', `Cannot query ${label}: the pool answered ${Number.isInteger(code) ? `error code ${code}` : 'without a code'}`)
    }
    const data = answer?.data
    if (!data || typeof data !== 'object') throw new PoolQueryError('invalid', `Cannot query ${label}: the overview answer has no data`)
    return {
      hashrate_ths: toThs(data.hsLast10m, 'H/s'),
      hashrate_24h_ths: toThs(data.hsLast1d, 'H/s'),
      workers_online: count(data.activeWorkerNum),
      workers_offline: count(data.inactiveWorkerNum),
      balance_btc: amount(data.unpaidAmount),
      last_share_at: null,
    }
  },
}
