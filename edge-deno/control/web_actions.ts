/**
 * Actions through the Antminer stock web interface: lighttpd CGI endpoints behind
 * HTTP Digest authentication with the miner's own (decrypted) login.
 * - reboot: POST /cgi-bin/reboot.cgi
 * - restart, pause/resume, set_pools: read /cgi-bin/get_miner_conf.cgi, change it,
 *   POST it to /cgi-bin/set_miner_conf.cgi (applying restarts the mining software;
 *   `miner-mode` 1 is sleep, 0 normal)
 * - blink_led: POST /cgi-bin/blink.cgi {blink}
 * - set_password: POST /cgi-bin/passwd.cgi {curPwd, newPwd, confirmPwd}
 * A miner with no web interface at all (connection refused, 404) does not support it.
 */
import type { Command } from '../../e2ee/mod.ts'
import { DigestAuthError, digestRequest, type WebLogin } from './digest.ts'
import type { HttpReply } from './http_reply.ts'
import { HttpProtocolError, MinerHttp } from './miner_http.ts'
import { failed, type MinerOutcome, UNSUPPORTED } from './outcome.ts'

/** One miner's web interface and the login to use on it. */
export interface WebTarget {
  hostname: string
  /** Port of the web interface (Antminer: 80). */
  port: number
  login: WebLogin | null
  /** Deadline per request, in ms. */
  timeoutMs: number
  signal?: AbortSignal
}

class Unsupported extends Error {}

async function callOn(http: MinerHttp, login: WebLogin | null, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const method = body === undefined ? 'GET' : 'POST'
  const payload = body === undefined ? undefined : JSON.stringify(body)
  const headers: Record<string, string> = payload === undefined ? {} : { 'content-type': 'application/json' }
  let reply: HttpReply
  try {
    reply = login ? await digestRequest(http, login, method, path, headers, payload) : await http.request(method, path, headers, payload)
  } catch (error) {
    // Nothing listening on the web port (or a reset before any answer): a miner without
    // this interface. A reset after it answered is this action's failure.
    if (error instanceof Deno.errors.ConnectionRefused || (error instanceof Deno.errors.ConnectionReset && !http.answered)) throw new Unsupported()
    if (error instanceof HttpProtocolError) throw new Error(`Cannot read the miner's web answer to ${path}: ${error.message}`)
    throw error
  }
  if (reply.status === 401) throw new DigestAuthError('Cannot log in to the miner: no web login is stored for it (enter its credentials in the app)')
  if (reply.status === 404) throw new Unsupported()
  try {
    return JSON.parse(reply.body)
  } catch {
    throw new Error(`Cannot read the miner's web answer to ${path}: it is not JSON (HTTP ${reply.status})`)
  }
}

function checked(action: string, answer: Record<string, unknown>): MinerOutcome {
  return answer.stats === 'success' ? { status: 'ok' } : failed(`Cannot ${action}: the miner answered ${String(answer.msg ?? answer.code ?? 'an error')}`)
}

/** One request to the miner's web interface, answered with its JSON. */
type Send = (path: string, body?: unknown) => Promise<Record<string, unknown>>

async function changeConf(send: Send, action: string, change: (conf: Record<string, unknown>) => void): Promise<MinerOutcome> {
  const conf = await send('/cgi-bin/get_miner_conf.cgi')
  change(conf)
  return checked(action, await send('/cgi-bin/set_miner_conf.cgi', conf))
}

/** Runs `command`'s action on one miner through its web interface. */
export async function runOverWeb(target: WebTarget, command: Command): Promise<MinerOutcome> {
  // One connection carries the action's requests, and is closed when it ends.
  using http = new MinerHttp(target.hostname, target.port, { timeoutMs: target.timeoutMs, signal: target.signal })
  const call: Send = (path, body) => callOn(http, target.login, path, body)
  try {
    switch (command.action) {
      case 'reboot':
        return checked('reboot', await call('/cgi-bin/reboot.cgi', {}))
      case 'restart':
        return await changeConf(call, 'restart', () => {})
      case 'pause':
      case 'resume':
        return await changeConf(call, command.action, (conf) => void (conf['miner-mode'] = command.action === 'pause' ? 1 : 0))
      case 'set_pools': {
        const pools = (command as Command<'set_pools'>).params.pools.map((p) => ({ url: p.url, user: p.user, pass: p.password }))
        return await changeConf(call, 'set pools', (conf) => void (conf.pools = pools))
      }
      case 'blink_led':
        return checked('blink the LED', await call('/cgi-bin/blink.cgi', { blink: (command as Command<'blink_led'>).params.on }))
      case 'set_password': {
        const next = (command as Command<'set_password'>).params.new_password
        return checked('set the password', await call('/cgi-bin/passwd.cgi', { curPwd: target.login?.password, newPwd: next, confirmPwd: next }))
      }
    }
  } catch (error) {
    if (error instanceof Unsupported) return UNSUPPORTED
    if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) return failed(`Cannot ${command.action}: the miner's web interface did not answer in time`)
    return failed(error instanceof Error ? error.message : String(error))
  }
}
