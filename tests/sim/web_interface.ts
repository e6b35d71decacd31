/**
 * An Antminer-like web interface for simulated Antminers: lighttpd's CGI endpoints
 * behind Digest authentication with the miner's own login.
 * - GET  /cgi-bin/get_miner_conf.cgi   pools (url, user, pass) and miner-mode (0 normal, 1 sleep)
 * - POST /cgi-bin/set_miner_conf.cgi   {pools?, "miner-mode"?}; applying restarts the mining software
 * - POST /cgi-bin/reboot.cgi           reboots (uptime starts again)
 * - POST /cgi-bin/passwd.cgi           {curPwd, newPwd, confirmPwd}: the web login's new password
 * - POST /cgi-bin/blink.cgi            {blink: true|false}; GET /cgi-bin/get_blink_status.cgi
 * Replies are `{stats, code, msg}` as the stock firmware gives them.
 */
import type { MinerControl, SimPool } from './control_state.ts'
import { DigestGuard } from './digest_auth.ts'

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
const success = () => json({ stats: 'success', code: 'M000', msg: 'OK!' })
const failure = (code: string, msg: string) => json({ stats: 'error', code, msg })

/** The request handler of one miner's web interface. */
export function webHandler(control: MinerControl, fixturePools: () => SimPool[]): (request: Request) => Promise<Response> {
  const guard = new DigestGuard()
  return async (request) => {
    const url = new URL(request.url)
    const uri = url.pathname + url.search
    if (!guard.verify(request.headers.get('authorization'), request.method, uri, control.login)) {
      return new Response('401 Unauthorized', { status: 401, headers: { 'www-authenticate': guard.challenge() } })
    }
    // deno-lint-ignore no-explicit-any
    const body = async (): Promise<any> => {
      try {
        return await request.json()
      } catch {
        return null
      }
    }
    switch (`${request.method} ${url.pathname}`) {
      case 'GET /cgi-bin/get_miner_conf.cgi':
        return json({
          pools: control.poolsOr(fixturePools).map((p) => ({ url: p.url, user: p.user, pass: p.password })),
          'miner-mode': control.paused ? 1 : 0, 'bitmain-fan-ctrl': false, 'bitmain-fan-pwm': '100',
        })
      case 'POST /cgi-bin/set_miner_conf.cgi': {
        const conf = await body()
        if (!conf || typeof conf !== 'object') return failure('M001', 'Invalid configuration')
        if (conf.pools !== undefined) {
          const valid = Array.isArray(conf.pools) && conf.pools.length <= 3 &&
            conf.pools.every((p: Record<string, unknown>) => typeof p?.url === 'string' && typeof p.user === 'string' && typeof p.pass === 'string')
          if (!valid) return failure('M001', 'Invalid pools')
          control.pools = conf.pools.filter((p: { url: string }) => p.url !== '').map((p: { url: string; user: string; pass: string }) => ({ url: p.url, user: p.user, password: p.pass, enabled: true }))
          control.activePool = 0
        }
        if (conf['miner-mode'] !== undefined) control.paused = Number(conf['miner-mode']) === 1
        // Saving the configuration restarts bmminer, as on the stock firmware.
        control.restart()
        return success()
      }
      case 'POST /cgi-bin/reboot.cgi':
      case 'GET /cgi-bin/reboot.cgi':
        control.reboot()
        return success()
      case 'POST /cgi-bin/passwd.cgi': {
        const b = await body()
        if (!b || b.curPwd !== control.login.password) return failure('P001', 'Current password is wrong')
        if (typeof b.newPwd !== 'string' || b.newPwd === '' || b.newPwd !== b.confirmPwd) return failure('P002', 'New passwords do not match')
        control.login = { ...control.login, password: b.newPwd }
        return success()
      }
      case 'POST /cgi-bin/blink.cgi': {
        const b = await body()
        if (typeof b?.blink !== 'boolean') return failure('B001', 'Invalid blink state')
        control.led = b.blink
        control.changed()
        return success()
      }
      case 'GET /cgi-bin/get_blink_status.cgi':
        return json({ blink: control.led })
      default:
        return new Response('404 Not Found', { status: 404 })
    }
  }
}
