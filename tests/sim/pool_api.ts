/**
 * A mining-pool statistics API on loopback, for the edge's pool-stats tests: the
 * Braiins Pool monitoring endpoints (`Pool-Auth-Token` header; a wrong token gets 401
 * "Invalid Access Profile token") and Antpool's `accountOverview.htm` (form POST with
 * key, nonce and an HMAC-SHA256 signature over user id + key + nonce, checked here with
 * node:crypto independently of the edge; errors as Antpool's codes: -6 unknown key,
 * -7 bad signature, -18 a nonce not above the last one). Both on one server, so one
 * base URL serves both pools' paths. Run alone:
 *   deno run -A tests/sim/pool_api.ts --port 9300 --braiins-token T --antpool user:key:secret
 * prints `READY {"url":…}`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { parseArgs } from 'node:util'
import { assertLoopback } from './addresses.ts'

export interface BraiinsAccount {
  token: string
  /** Overrides of the profile's `btc` object. */
  profile?: Record<string, unknown>
  /** Unix seconds of each worker's last share (default two workers). */
  lastShares?: number[]
}

export interface AntpoolAccount {
  userId: string
  key: string
  secret: string
  /** Overrides of the overview's `data` object. */
  overview?: Record<string, unknown>
}

export interface PoolApiSimOptions {
  /** 127.0.0.0/8 only (default 127.0.0.1). */
  hostname?: string
  port?: number
  braiins?: BraiinsAccount[]
  antpool?: AntpoolAccount[]
  /** Every answer waits this long (for deadline tests). */
  delayMs?: number
}

export interface PoolApiSim extends AsyncDisposable {
  url: string
  /** Each request's path and the answer's status (and Antpool code). */
  requests: { path: string; status: number; code?: number }[]
}

export const BRAIINS_PROFILE = {
  all_time_reward: '0.15000000', hash_rate_unit: 'Gh/s', hash_rate_5m: 27978, hash_rate_60m: 28191, hash_rate_24h: 28357, hash_rate_yesterday: 28197,
  low_workers: 0, off_workers: 1, ok_workers: 2, dis_workers: 0, current_balance: '0.01500000', today_reward: '0.00016667', estimated_reward: '0.00011940',
  shares_5m: 123, shares_60m: 1476, shares_24h: 35424, shares_yesterday: 0,
}
export const ANTPOOL_OVERVIEW = {
  hsLast10m: '127603936523714', hsLast1h: '114466490529000', hsLast1d: '102498704834436', totalWorkerNum: 3, activeWorkerNum: 2, inactiveWorkerNum: 1,
  invalidWorkerNum: 0, totalAmount: '0.00480411', unpaidAmount: '0.00480411', yesterdayAmount: '0.00037884',
}

const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

/** Starts the simulated pools; dispose to stop. */
export function startPoolApiSim(options: PoolApiSimOptions = {}): PoolApiSim {
  const hostname = options.hostname ?? '127.0.0.1'
  assertLoopback(hostname)
  const requests: PoolApiSim['requests'] = []
  const lastNonce = new Map<string, number>()
  const antpool = (path: string, code: number, data: unknown = null) => {
    requests.push({ path, status: 200, code })
    const message = { 0: 'ok', [-6]: 'API Key Error', [-7]: 'Signature Error', [-18]: 'Nonce Error', [-2]: 'Invalid Parameter' }[code] ?? 'error'
    return Response.json({ code, message, data })
  }
  const server = Deno.serve({ hostname, port: options.port ?? 0, onListen() {} }, async (request) => {
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs))
    const path = new URL(request.url).pathname
    if (path === '/accounts/profile/json/btc/' || path === '/accounts/workers/json/btc/') {
      const token = request.headers.get('pool-auth-token') ?? request.headers.get('x-pool-auth-token') ?? ''
      const account = (options.braiins ?? []).find((a) => sameText(a.token, token))
      if (request.method !== 'GET' || !account) {
        requests.push({ path, status: request.method !== 'GET' ? 405 : 401 })
        await request.body?.cancel()
        return new Response(request.method !== 'GET' ? 'Method Not Allowed' : 'Invalid Access Profile token', { status: request.method !== 'GET' ? 405 : 401 })
      }
      requests.push({ path, status: 200 })
      if (path.startsWith('/accounts/profile')) return Response.json({ username: 'sim', btc: { ...BRAIINS_PROFILE, ...account.profile } })
      const shares = account.lastShares ?? [1_764_583_495, 1_764_583_200]
      const workers = Object.fromEntries(shares.map((s, i) => [`sim.worker${i + 1}`, { state: 'ok', last_share: s, hash_rate_unit: 'Gh/s', hash_rate_5m: 13989 }]))
      return Response.json({ btc: { workers } })
    }
    if (path === '/api/accountOverview.htm' && request.method === 'POST') {
      const form = new URLSearchParams(await request.text())
      const [key, nonceText, signature, userId] = ['key', 'nonce', 'signature', 'userId'].map((f) => form.get(f) ?? '')
      const account = (options.antpool ?? []).find((a) => sameText(a.key, key))
      if (!account) return antpool(path, -6)
      const expected = createHmac('sha256', account.secret).update(`${userId}${key}${nonceText}`).digest('hex').toUpperCase()
      if (!sameText(expected, signature) || userId !== account.userId) return antpool(path, -7)
      const nonce = Number(nonceText)
      if (!Number.isSafeInteger(nonce) || nonce <= (lastNonce.get(key) ?? 0)) return antpool(path, -18)
      lastNonce.set(key, nonce)
      if (form.get('coin') !== 'BTC') return antpool(path, -2)
      return antpool(path, 0, { ...ANTPOOL_OVERVIEW, userId, ...account.overview })
    }
    requests.push({ path, status: 404 })
    await request.body?.cancel()
    return new Response('Not Found', { status: 404 })
  })
  return {
    url: `http://${hostname}:${server.addr.port}`,
    requests,
    async [Symbol.asyncDispose]() {
      await server.shutdown()
    },
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { host: { type: 'string' }, port: { type: 'string' }, 'braiins-token': { type: 'string', multiple: true }, antpool: { type: 'string', multiple: true } },
  })
  const antpoolAccounts = (values.antpool ?? []).map((entry) => {
    const [userId, key, ...secret] = entry.split(':')
    if (!userId || !key || secret.length === 0) throw new TypeError(`Cannot parse --antpool '${entry}': expected <user>:<key>:<secret>`)
    return { userId, key, secret: secret.join(':') }
  })
  const sim = startPoolApiSim({
    hostname: values.host, port: Number(values.port ?? 0),
    braiins: (values['braiins-token'] ?? []).map((token) => ({ token })), antpool: antpoolAccounts,
  })
  console.log(`READY ${JSON.stringify({ url: sim.url })}`)
}
