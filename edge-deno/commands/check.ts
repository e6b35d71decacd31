import { parseArgs } from 'node:util'
import { parseAddress } from '../cgminer/address.ts'
import { pollMiner } from '../poller.ts'
import type { MinerTelemetry } from '../telemetry.ts'
import { type Command, fail, reasonOf } from './_command.ts'

const help = `Usage: edge-deno check <host:port> [--json] [--timeout <ms>]

Polls one miner once (summary+pools+devs+stats) and prints its normalized telemetry.

Options:
  --json           print one JSON object instead of a table
  --timeout <ms>   deadline for the whole exchange (default 5000)
  -h, --help       show this help`

function show(value: unknown, unit = ''): string {
  if (value === null || value === undefined) return '-'
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.join(' ') + unit
  return `${value}${unit}`
}

function table(t: MinerTelemetry): string {
  const rows: [string, string][] = [
    ['address', t.address], ['online', String(t.online)], ['error', show(t.error)],
    ['vendor', t.vendor], ['model', show(t.model)], ['firmware', show(t.firmware)],
    ['hashrate', show(t.hashrateThs, ' TH/s')], ['hashrate avg', show(t.hashrateAvgThs, ' TH/s')],
    ['shares a/r/s', `${show(t.acceptedShares)} / ${show(t.rejectedShares)} / ${show(t.staleShares)}`],
    ['hw errors', show(t.hardwareErrors)], ['chip temps', show(t.chipTempsC, ' °C')], ['board temps', show(t.boardTempsC, ' °C')],
    ['ambient', show(t.ambientC, ' °C')], ['fans', show(t.fansRpm, ' rpm')], ['power', show(t.powerW, ' W')],
    ['pool', t.pool ? `${t.pool.url} (${t.pool.user}, ${t.pool.status})` : '-'], ['uptime', show(t.uptimeS, ' s')],
    ['latency', `${t.latencyMs} ms`], ['warnings', t.warnings.join('; ') || '-'],
  ]
  return rows.map(([k, v]) => `${k.padEnd(13)} ${v}`).join('\n')
}

const check: Command = {
  name: 'check',
  summary: 'poll one miner once and print its telemetry',
  help,
  async run(args) {
    let parsed
    try {
      parsed = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } } })
    } catch (error) {
      return fail(`Cannot check miner: ${reasonOf(error)}`)
    }
    if (parsed.values.help) return console.log(help), 0
    if (parsed.positionals.length !== 1) return fail('Cannot check miner: expected one <host:port>')
    const timeoutMs = Number(parsed.values.timeout ?? 5000)
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) return fail('Cannot check miner: --timeout must be a positive number of ms')
    let address
    try {
      address = parseAddress(parsed.positionals[0])
    } catch (error) {
      return fail(reasonOf(error))
    }
    const telemetry = await pollMiner(address, { timeoutMs })
    console.log(parsed.values.json ? JSON.stringify(telemetry) : table(telemetry))
    return telemetry.online ? 0 : 2
  },
}

export default check
