/**
 * Runs the cgminer simulator until interrupted:
 *   deno run -A tests/sim/main.ts --miners 100 --base 127.1.0.1 --port 4028
 * Prints `READY {"port":…,"count":…,"first":…,"last":…}` once every miner listens.
 */
import { parseArgs } from 'node:util'
import { type MinerFaults, startSimulator } from './simulator.ts'
import { VENDORS, type Vendor } from './profiles.ts'

const help = `Usage: deno run -A tests/sim/main.ts [options]

Options:
  --miners <n>        miners to serve (default 10)
  --base <address>    first loopback address (default 127.1.0.1; 127.0.0.0/8 only)
  --port <n>          port of every miner (default 4028; 0 picks a free one)
  --seed <n>          seed of the numbers (default 1)
  --vendor <name>     serve only this shape (${VENDORS.join(', ')}); default: all in turn
  --clean             send valid JSON (no vendor quirks)
  --refresh-ms <ms>   how often numbers change (default 5000)
  --web-port <n>      also serve an Antminer-like web interface (Digest, root/root) on
                      every Antminer's address at this port (0 picks a free one)
  --fault <i:kind[=v]>  fault for miner i: delay=<ms>, reset, garbage, silent, keepOpen,
                      rejectMulti, noDevices, huge=<bytes>, trickle (repeatable)
  -h, --help          show this help`

function parseFault(text: string, faults: Record<number, MinerFaults>): void {
  const match = /^(\d+):(\w+)(?:=(\d+))?$/.exec(text)
  if (!match) throw new TypeError(`Cannot parse --fault '${text}': expected <index>:<kind>[=<value>]`)
  const [, index, kind, value] = match
  const entry: MinerFaults = (faults[Number(index)] ??= {})
  if (kind === 'delay') entry.delayMs = Number(value ?? 2000)
  else if (kind === 'huge') entry.hugeReplyBytes = Number(value ?? 2_000_000)
  else if (['reset', 'garbage', 'silent', 'keepOpen', 'rejectMulti', 'noDevices', 'trickle'].includes(kind)) {
    ;(entry as Record<string, boolean>)[kind] = true
  } else throw new TypeError(`Cannot parse --fault '${text}': unknown fault '${kind}'`)
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      miners: { type: 'string', default: '10' }, base: { type: 'string', default: '127.1.0.1' },
      port: { type: 'string', default: '4028' }, seed: { type: 'string', default: '1' }, vendor: { type: 'string' },
      clean: { type: 'boolean' }, 'refresh-ms': { type: 'string', default: '5000' }, fault: { type: 'string', multiple: true },
      'web-port': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return console.log(help), 0
  const faults: Record<number, MinerFaults> = {}
  for (const text of values.fault ?? []) parseFault(text, faults)
  const count = Number(values.miners)
  const vendor = values.vendor as Vendor | undefined
  if (vendor && !VENDORS.includes(vendor)) throw new TypeError(`Cannot start simulator: unknown vendor '${vendor}'`)
  const sim = await startSimulator({
    miners: vendor ? Array.from({ length: count }, () => ({ vendor })) : count,
    baseAddress: values.base, port: Number(values.port), seed: Number(values.seed), dirty: !values.clean,
    refreshMs: Number(values['refresh-ms']), faults,
    web: values['web-port'] === undefined ? undefined : { port: Number(values['web-port']) },
  })
  const web = sim.webPort === null ? {} : { webPort: sim.webPort }
  console.log(`READY ${JSON.stringify({ port: sim.port, count, first: sim.addresses[0], last: sim.addresses.at(-1), ...web })}`)
  const stop = Promise.withResolvers<void>()
  Deno.addSignalListener('SIGINT', stop.resolve)
  Deno.addSignalListener('SIGTERM', stop.resolve)
  await stop.promise
  await sim.close()
  return 0
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args))
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error))
    Deno.exit(1)
  }
}
