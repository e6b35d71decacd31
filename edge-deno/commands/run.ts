import { ApiError } from '../api_client.ts'
import { runCollector } from '../collector.ts'
import { COMMON_FLAG_HELP } from '../config.ts'
import { commandConfig } from './_config.ts'
import { readPassphrase } from '../passphrase.ts'
import { loadDevice, loadDeviceKey } from '../state.ts'
import { importDevicePrivateKey } from '../../e2ee/mod.ts'
import { type Command, fail, reasonOf } from './_command.ts'
import { startCommandRunner } from '../control/start.ts'
import { runPoolStats } from '../pools/start.ts'

const help = `Usage: edge-deno run [options]

Polls the site's miners and pushes their telemetry to the API. Miner secrets are
decrypted here, with the data key the owner granted this device (see 'enroll') or
with the passphrase, and never leave this machine; telemetry carries
miner ids, never addresses or pool accounts. When the API is unreachable, batches
wait in <state-dir>/spool (pool statistics in <state-dir>/pool_spool, through
restarts) and go out, oldest first, when it is back.

Options:
${COMMON_FLAG_HELP}
  --passphrase-file <file> read the passphrase from a file (env HASHINSIGHT_PASSPHRASE_FILE);
                           or set HASHINSIGHT_PASSPHRASE; otherwise asked on a terminal,
                           unless this device has a key pair (then the grant is used and
                           the passphrase is needed only for version 1 blocks)
  --once                   one cycle, deliver (or spool) it, exit (for cron and tests)
  --interval <ms>          time between cycle starts (default 30000)
  --jitter <0-1>           random share of the interval added or taken (default 0.1)
  --concurrency <n>        miners polled at once (default 256), shared by the threads
  --poll-threads <n>       threads polling them (default 2, or 1 on a single core)
  --timeout <ms>           deadline per miner (default 5000)
  --api-timeout <ms>       deadline per API request (default 15000)
  --refresh-every <n>      fetch miners and keyring again every n cycles (default 10)
  --spool-max-batches <n>  batches kept while the API is unreachable (default 10000)
  --spool-max-mb <n>       bytes kept in the spool, MiB (default 256); past either
                           bound the oldest batches are dropped and logged
  --pool-interval <ms>     time between pool-statistics rounds (default 300000)
  --pool-api-base <pool>=<url>  that pool's API instead of its real host (repeatable;
                           env HASHINSIGHT_POOL_API_BRAIINS, HASHINSIGHT_POOL_API_ANTPOOL)
  -h, --help               show this help

Exit codes: 0 done (or stopped by a signal), 1 bad set-up, 3 the API revoked this device.`

const run: Command = {
  name: 'run',
  summary: 'poll the site miners and push telemetry to the API',
  help,
  async run(args) {
    const loaded = await commandConfig(args, help)
    if ('exit' in loaded) return loaded.exit
    const { config } = loaded
    if (config.positionals.length > 0) return fail(`Cannot run: unexpected argument '${config.positionals[0]}'`)
    const controller = new AbortController()
    const stop = () => controller.abort()
    const signals: Deno.Signal[] = []
    try {
      const device = await loadDevice(config.stateDir)
      if (!device) return fail(`Cannot run: this collector is not enrolled (no ${config.stateDir}/device.json); run 'enroll <code> --api <url>' first`)
      const deviceKey = await loadDeviceKey(config.stateDir)
      // With a key pair the owner's grant replaces the passphrase: no prompt then.
      const asked = !deviceKey || config.passphraseFile !== undefined || Boolean(Deno.env.get('HASHINSIGHT_PASSPHRASE'))
      const passphrase = asked ? await readPassphrase(config.passphraseFile) : undefined
      if (passphrase === undefined) {
        console.error(deviceKey
          ? `No passphrase given: using this device's key grant (fingerprint ${deviceKey.fingerprint}); version 1 blocks will not decrypt`
          : 'No passphrase given: miners with encrypted blocks will be reported as not decryptable')
      }
      const devicePrivateKey = deviceKey ? await importDevicePrivateKey(deviceKey.private_key) : undefined
      for (const s of Deno.build.os === 'windows' ? ['SIGINT'] as const : ['SIGINT', 'SIGTERM'] as const) {
        Deno.addSignalListener(s, stop)
        signals.push(s)
      }
      // Remote-control commands run beside the polling loop (not in one-shot cron runs).
      const commands = config.once ? undefined : startCommandRunner({
        device, stateDir: config.stateDir, apiUrl: config.apiUrl, passphrase, devicePrivateKey, timeoutMs: config.timeoutMs, signal: controller.signal,
        log: (line) => console.error(`${new Date().toISOString()} ${line}`),
      })
      // A revoked token seen by the runner stops the collector too (and the other way round).
      const stopped = commands?.done.catch((error) => (controller.abort(), error))
      // Pool statistics with the tenant's pool keys, at their own interval (not in one-shot cron runs).
      const pools = config.once ? undefined : runPoolStats({
        device, stateDir: config.stateDir, apiUrl: config.apiUrl, passphrase, devicePrivateKey, intervalMs: config.poolIntervalMs,
        bases: config.poolApiBases, apiTimeoutMs: config.apiTimeoutMs, signal: controller.signal, log: (line) => console.error(`${new Date().toISOString()} ${line}`),
      })
      const summary = await runCollector({
        onResolution: commands?.onResolution, onPolled: commands?.onPolled,
        stateDir: config.stateDir, device, apiUrl: config.apiUrl, passphrase, devicePrivateKey, once: config.once, signal: controller.signal,
        intervalMs: config.intervalMs, jitter: config.jitter, concurrency: config.concurrency, pollThreads: config.pollThreads,
        timeoutMs: config.timeoutMs, apiTimeoutMs: config.apiTimeoutMs, refreshEvery: config.refreshEvery,
        spoolMaxBatches: config.spoolMaxBatches, spoolMaxBytes: config.spoolMaxBytes,
      })
      controller.abort()
      const runnerError = await stopped
      await pools
      if (runnerError) throw runnerError
      if (config.once && !summary.minersKnown) return fail('Cannot run: the miners could not be fetched from the API and none were saved earlier')
      return 0
    } catch (error) {
      if (error instanceof ApiError && error.kind === 'revoked') {
        console.error(`Stopped: ${error.message}`)
        return 3
      }
      return fail(reasonOf(error))
    } finally {
      controller.abort()
      for (const s of signals) Deno.removeSignalListener(s, stop)
    }
  },
}

export default run
