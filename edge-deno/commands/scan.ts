import { parseArgs } from 'node:util'
import { ApiClient } from '../api_client.ts'
import { scan } from '../discovery.ts'
import { addDiscovered } from '../discovery_add.ts'
import { readPassphrase } from '../passphrase.ts'
import { defaultStateDir, loadDevice } from '../state.ts'
import { type Command, fail, reasonOf } from './_command.ts'

const help = `Usage: edge-deno scan <cidr> [options]

Finds cgminer APIs in a range: a fast TCP connect probe, then identification
(version, stats) of what answered. Only 127.0.0.0/8 unless --allow-non-loopback.

Options:
  --port <n>               API port (default 4028)
  --json                   print a JSON array
  --max-hosts <n>          refuse bigger ranges (default 65534)
  --probe-concurrency <n>  connect probes at once (default 512)
  --probe-timeout <ms>     connect probe deadline (default 1000)
  --identify-concurrency <n>  identifications at once (default 32)
  --identify-timeout <ms>  identification deadline (default 5000)
  --allow-non-loopback     allow scanning a real network
  --add                    add what answered (and is not on the site yet) to this
                           device's site; needs 'enroll' first
  --full-e2ee              with --add: encrypt each new miner's whole connection here
                           (v2 block), so the server never learns its address
  --state-dir <dir>        state directory (env HASHINSIGHT_STATE_DIR; default ~/.hashinsight-edge)
  --api <url>              API base URL (default the enrolled one)
  --passphrase-file <file> passphrase for --full-e2ee and for reading existing miners
                           (env HASHINSIGHT_PASSPHRASE_FILE or HASHINSIGHT_PASSPHRASE)
  -h, --help               show this help`

const numeric = ['port', 'max-hosts', 'probe-concurrency', 'probe-timeout', 'identify-concurrency', 'identify-timeout'] as const

const scanCommand: Command = {
  name: 'scan',
  summary: 'discover miners in a range (127.0.0.0/8 unless --allow-non-loopback)',
  help,
  async run(args) {
    let parsed
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: {
          ...Object.fromEntries(numeric.map((name) => [name, { type: 'string' as const }])),
          json: { type: 'boolean' }, 'allow-non-loopback': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
          add: { type: 'boolean' }, 'full-e2ee': { type: 'boolean' }, 'state-dir': { type: 'string' }, api: { type: 'string' },
          'passphrase-file': { type: 'string' },
        },
      })
    } catch (error) {
      return fail(`Cannot scan: ${reasonOf(error)}`)
    }
    if (parsed.values.help) return console.log(help), 0
    if (parsed.positionals.length !== 1) return fail('Cannot scan: expected one <cidr>')
    const n: Partial<Record<(typeof numeric)[number], number>> = {}
    for (const name of numeric) {
      const text = (parsed.values as Record<string, unknown>)[name] as string | undefined
      if (text === undefined) continue
      const value = Number(text)
      if (!Number.isInteger(value) || value <= 0) return fail(`Cannot scan: --${name} must be a positive integer`)
      n[name] = value
    }
    try {
      const found = await scan(parsed.positionals[0], {
        port: n.port, maxHosts: n['max-hosts'], allowNonLoopback: parsed.values['allow-non-loopback'] === true,
        probeConcurrency: n['probe-concurrency'], probeTimeoutMs: n['probe-timeout'],
        identifyConcurrency: n['identify-concurrency'], identifyTimeoutMs: n['identify-timeout'],
      })
      if (parsed.values.json) console.log(JSON.stringify(found))
      else for (const m of found) console.log([m.address, m.model ?? '-', m.firmware ?? '-', m.error ?? ''].join('\t').trimEnd())
      if (!parsed.values.json) console.error(`${found.length} found`)
      if (parsed.values.add) {
        const stateDir = parsed.values['state-dir'] ?? Deno.env.get('HASHINSIGHT_STATE_DIR') ?? defaultStateDir()
        const device = await loadDevice(stateDir)
        if (!device) return fail(`Cannot add miners: this collector is not enrolled (no ${stateDir}/device.json); run 'enroll <code> --api <url>' first`)
        const api = new ApiClient({ baseUrl: parsed.values.api ?? Deno.env.get('HASHINSIGHT_API_URL') ?? device.api_url, token: device.token })
        const passphrase = await readPassphrase(parsed.values['passphrase-file'] ?? Deno.env.get('HASHINSIGHT_PASSPHRASE_FILE'))
        const added = await addDiscovered(found, { api, tenantId: device.tenant_id, stateDir, passphrase, fullE2ee: parsed.values['full-e2ee'] === true })
        console.error(`${added.created.length} added to the site${parsed.values['full-e2ee'] ? ' with full E2EE' : ''}, ${added.skipped} already there or not answering`)
      }
      return 0
    } catch (error) {
      return fail(reasonOf(error))
    }
  },
}

export default scanCommand
