/**
 * The cgminer privileged API of simulated miners: `restart`, `switchpool`,
 * `addpool`, `enablepool`, `disablepool`, `removepool`, plus LuxOS-style
 * `rebootdevice`, `curtail` (sleep / wakeup) and `ledset` (red,on / red,off), and
 * Avalon's `ascset|0,reboot,0`. Which miners honour them mirrors the field:
 * - LuxOS: all of them;
 * - Avalon (cgminer 4.11): pools, restart and ascset reboot; no pause or LED;
 * - stock Antminer: "Access denied" (code 45): use its web interface instead;
 * - Whatsminer (btminer): not cgminer's privileged API at all (code 14).
 * Real LuxOS wants a session id for these; the simulator leaves that out.
 */
import { errorReply } from './profiles.ts'
import type { MinerControl, SimPool } from './control_state.ts'

/** Every command this module answers; others fall through to the normal replies. */
export const PRIVILEGED_COMMANDS = new Set(['restart', 'switchpool', 'addpool', 'enablepool', 'disablepool', 'removepool', 'rebootdevice', 'curtail', 'ledset', 'ascset'])

const LUX_ONLY = new Set(['rebootdevice', 'curtail', 'ledset'])

/** cgminer splits parameters on ',' and lets '\,' stand for a comma inside one. */
export function splitParameter(parameter: string): string[] {
  const parts: string[] = ['']
  for (let i = 0; i < parameter.length; i++) {
    const c = parameter[i]!
    if (c === '\\' && i + 1 < parameter.length) parts[parts.length - 1] += parameter[++i]
    else if (c === ',') parts.push('')
    else parts[parts.length - 1] += c
  }
  return parts
}

function ok(code: number, msg: string, description: string, now: number): string {
  return JSON.stringify({ STATUS: [{ STATUS: 'S', When: now, Code: code, Msg: msg, Description: description }], id: 1 })
}

/**
 * The reply to a privileged command, or null when `command` is not one.
 * @param fixturePools the miner's starting pools, read when a command first changes them
 */
export function privilegedReply(control: MinerControl, command: string, parameter: string | undefined, description: string, now: number, fixturePools: () => SimPool[]): string | null {
  if (!PRIVILEGED_COMMANDS.has(command)) return null
  const vendor = control.vendor
  if (vendor === 'whatsminer-v2') return errorReply(14, 'Invalid command', description, now)
  if (vendor.startsWith('antminer')) return errorReply(45, `Access denied to '${command}' command`, description, now)
  if (vendor === 'avalon-1566' && LUX_ONLY.has(command)) return errorReply(14, 'Invalid command', description, now)
  const args = splitParameter(parameter ?? '')
  const pools = () => control.poolsOr(fixturePools)
  const poolIndex = (): number | string => {
    const n = Number(args[0])
    return args[0] !== '' && Number.isInteger(n) && n >= 0 && n < pools().length ? n : errorReply(26, `Invalid pool id ${args[0]}`, description, now)
  }
  switch (command) {
    case 'restart':
      control.restart()
      return ok(7, 'Restart', description, now)
    case 'rebootdevice':
      control.reboot()
      return ok(7, 'Reboot', description, now)
    case 'ascset':
      if (args[1] !== 'reboot') return errorReply(14, 'Invalid command', description, now)
      control.reboot()
      return ok(119, 'ASC 0 set OK', description, now)
    case 'curtail':
      if (args[0] !== 'sleep' && args[0] !== 'wakeup') return errorReply(14, `Invalid curtail mode '${args[0]}'`, description, now)
      control.paused = args[0] === 'sleep'
      control.changed()
      return ok(132, `Curtail ${args[0]}`, description, now)
    case 'ledset':
      if (args[1] !== 'on' && args[1] !== 'off') return errorReply(14, `Invalid led state '${args[1]}'`, description, now)
      control.led = args[1] === 'on'
      control.changed()
      return ok(133, `LED ${args[1]}`, description, now)
    case 'addpool': {
      // Like cgminer, the refusal echoes what it was sent (password included): callers must not pass it on.
      if (args.length !== 3 || !/^stratum\+(?:tcp|ssl):\/\/./.test(args[0]!)) return errorReply(52, `Invalid addpool details '${parameter}'`, description, now)
      const list = pools()
      list.push({ url: args[0], user: args[1]!, password: args[2]!, enabled: true })
      control.changed()
      return ok(55, `Added pool ${list.length - 1}: '${args[0]}'`, description, now)
    }
    default: {
      const index = poolIndex()
      if (typeof index === 'string') return index
      const list = pools()
      if (command === 'switchpool') {
        list[index]!.enabled = true
        control.activePool = index
      } else if (command === 'enablepool') list[index]!.enabled = true
      else if (command === 'disablepool') {
        if (list.filter((p) => p.enabled).length === 1 && list[index]!.enabled) return errorReply(49, 'Cannot disable last active pool', description, now)
        list[index]!.enabled = false
      } else {
        if (index === control.activePool) return errorReply(67, `Cannot remove active pool ${index}`, description, now)
        list.splice(index, 1)
        if (control.activePool > index) control.activePool--
      }
      control.changed()
      return ok(27, `${command} ${index} OK`, description, now)
    }
  }
}
