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
import { DigestAuthError, digestFetch, type WebLogin } from './digest.ts'
import { failed, type MinerOutcome, UNSUPPORTED } from './outcome.ts'

/** One miner's web interface and the login to use on it. */
export interface WebTarget {
  /** `http://<host>:<port>` of the miner's web interface. */
  origin: string
  login: WebLogin | null
  timeoutMs: number
  signal?: AbortSignal
}

class Unsupported extends Error {}

async function call(target: WebTarget, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const deadline = AbortSignal.timeout(target.timeoutMs)
  const init: RequestInit = body === undefined
    ? { method: 'GET' }
    : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
  init.signal = target.signal ? AbortSignal.any([target.signal, deadline]) : deadline
  let response: Response
  try {
    response = target.login ? await digestFetch(target.origin + path, target.login, init) : await fetch(target.origin + path, init)
  } catch (error) {
    if (error instanceof DigestAuthError) throw error
    if (error instanceof TypeError && /refused|reset/i.test(String((error as Error & { cause?: unknown }).cause ?? error.message))) throw new Unsupported()
    throw error
  }
  if (response.status === 401) {
    await response.body?.cancel()
    throw new DigestAuthError('Cannot log in to the miner: no web login is stored for it (enter its credentials in the app)')
  }
  if (response.status === 404) {
    await response.body?.cancel()
    throw new Unsupported()
  }
  const text = await response.text()
  try {
    return JSON.parse(text)
  } catch {
    throw new Error(`Cannot read the miner's web answer to ${path}: it is not JSON (HTTP ${response.status})`)
  }
}

function checked(action: string, answer: Record<string, unknown>): MinerOutcome {
  return answer.stats === 'success' ? { status: 'ok' } : failed(`Cannot ${action}: the miner answered ${String(answer.msg ?? answer.code ?? 'an error')}`)
}

async function changeConf(target: WebTarget, action: string, change: (conf: Record<string, unknown>) => void): Promise<MinerOutcome> {
  const conf = await call(target, '/cgi-bin/get_miner_conf.cgi')
  change(conf)
  return checked(action, await call(target, '/cgi-bin/set_miner_conf.cgi', conf))
}

/** Runs `command`'s action on one miner through its web interface. */
export async function runOverWeb(target: WebTarget, command: Command): Promise<MinerOutcome> {
  try {
    switch (command.action) {
      case 'reboot':
        return checked('reboot', await call(target, '/cgi-bin/reboot.cgi', {}))
      case 'restart':
        return await changeConf(target, 'restart', () => {})
      case 'pause':
      case 'resume':
        return await changeConf(target, command.action, (conf) => void (conf['miner-mode'] = command.action === 'pause' ? 1 : 0))
      case 'set_pools': {
        const pools = (command as Command<'set_pools'>).params.pools.map((p) => ({ url: p.url, user: p.user, pass: p.password }))
        return await changeConf(target, 'set pools', (conf) => void (conf.pools = pools))
      }
      case 'blink_led':
        return checked('blink the LED', await call(target, '/cgi-bin/blink.cgi', { blink: (command as Command<'blink_led'>).params.on }))
      case 'set_password': {
        const next = (command as Command<'set_password'>).params.new_password
        return checked('set the password', await call(target, '/cgi-bin/passwd.cgi', { curPwd: target.login?.password, newPwd: next, confirmPwd: next }))
      }
    }
  } catch (error) {
    if (error instanceof Unsupported) return UNSUPPORTED
    if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) return failed(`Cannot ${command.action}: the miner's web interface did not answer in time`)
    return failed(error instanceof Error ? error.message : String(error))
  }
}
