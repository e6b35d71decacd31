/**
 * The collector's settings, from (highest first) flags, environment, an optional
 * JSON file (`--config` / `HASHINSIGHT_CONFIG`), then defaults. The passphrase
 * never comes from a flag or the config file (both end up in shell history,
 * process lists and backups): only `HASHINSIGHT_PASSPHRASE`, a passphrase file,
 * or a prompt on a terminal.
 */
import { parseArgs } from 'node:util'
import { defaultStateDir } from './state.ts'
import { SPOOL_DEFAULTS } from './spool.ts'
import { type PoolBases, parsePoolApiBases } from './pools/registry.ts'

/** Everything `run` (and, in part, `enroll`) needs except secrets. */
export interface CollectorConfig {
  /** From flags, env or file; otherwise `run` uses the URL stored at enrolment. */
  apiUrl: string | undefined
  stateDir: string
  passphraseFile: string | undefined
  intervalMs: number
  jitter: number
  concurrency: number
  /** Threads the miners are polled on. */
  pollThreads: number
  timeoutMs: number
  apiTimeoutMs: number
  refreshEvery: number
  spoolMaxBatches: number
  spoolMaxBytes: number
  /** Time between pool-statistics rounds, ms. */
  poolIntervalMs: number
  /** Pool API base URLs given instead of the real hosts (`--pool-api-base`, `HASHINSIGHT_POOL_API_<NAME>`). */
  poolApiBases: PoolBases
  once: boolean
  help: boolean
  positionals: string[]
}

/** Where settings come from, so tests need not touch the real environment. */
export interface ConfigSources {
  env: (name: string) => string | undefined
  readTextFile: (path: string) => Promise<string>
}

const denoSources: ConfigSources = { env: (name) => Deno.env.get(name), readTextFile: (path) => Deno.readTextFile(path) }

/** Threads polling miners by default: two where there are two cores (see `poll_threads.ts`). */
export const DEFAULT_POLL_THREADS = Math.min(2, Math.max(1, navigator.hardwareConcurrency || 1))

/** Numeric settings: flag name, config-file key, default, and whether 0 is allowed. */
const NUMBERS = {
  interval: { key: 'interval_ms', fallback: 30_000, min: 100, integer: true },
  jitter: { key: 'jitter', fallback: 0.1, min: 0, max: 1, integer: false },
  concurrency: { key: 'concurrency', fallback: 256, min: 1, integer: true },
  'poll-threads': { key: 'poll_threads', fallback: DEFAULT_POLL_THREADS, min: 1, max: 16, integer: true },
  timeout: { key: 'timeout_ms', fallback: 5000, min: 1, integer: true },
  'api-timeout': { key: 'api_timeout_ms', fallback: 15_000, min: 1, integer: true },
  'refresh-every': { key: 'refresh_every', fallback: 10, min: 1, integer: true },
  'spool-max-batches': { key: 'spool_max_batches', fallback: SPOOL_DEFAULTS.maxBatches, min: 1, integer: true },
  'spool-max-mb': { key: 'spool_max_mb', fallback: SPOOL_DEFAULTS.maxBytes / 1024 / 1024, min: 1, integer: false },
  'pool-interval': { key: 'pool_interval_ms', fallback: 300_000, min: 1000, integer: true },
} as const
type NumberFlag = keyof typeof NUMBERS

const FILE_KEYS = new Set(['api_url', 'state_dir', 'passphrase_file', ...Object.values(NUMBERS).map((n) => n.key)])

/** The flags every collector command that talks to the API accepts. */
export const COMMON_FLAG_HELP = `  --api <url>              API base URL (env HASHINSIGHT_API_URL; run: default the enrolled one)
  --state-dir <dir>        state directory (env HASHINSIGHT_STATE_DIR; default ~/.hashinsight-edge)
  --config <file>          JSON settings file (env HASHINSIGHT_CONFIG), keys as below in snake_case`

async function readConfigFile(path: string, sources: ConfigSources): Promise<Record<string, unknown>> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await sources.readTextFile(path))
  } catch (error) {
    throw new Error(`Cannot read config file ${path}: ${error instanceof SyntaxError ? 'it is not JSON' : (error as Error).message}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`Cannot read config file ${path}: expected a JSON object`)
  for (const key of Object.keys(parsed)) {
    if (/passphrase$|token/.test(key)) throw new Error(`Cannot read config file ${path}: '${key}' does not belong in a config file; use HASHINSIGHT_PASSPHRASE or passphrase_file`)
    if (!FILE_KEYS.has(key)) throw new Error(`Cannot read config file ${path}: unknown key '${key}' (known: ${[...FILE_KEYS].join(', ')})`)
  }
  return parsed as Record<string, unknown>
}

function toNumber(flag: NumberFlag, raw: unknown): number {
  const spec: { min: number; max?: number; integer: boolean } = NUMBERS[flag]
  const value = typeof raw === 'number' ? raw : Number(raw)
  const ok = typeof raw !== 'boolean' && raw !== '' && Number.isFinite(value) && value >= spec.min && (spec.max === undefined || value <= spec.max) &&
    (!spec.integer || Number.isInteger(value))
  if (!ok) {
    const range = spec.max === undefined ? `at least ${spec.min}` : `${spec.min} to ${spec.max}`
    throw new Error(`Cannot use --${flag} '${raw}': expected ${spec.integer ? 'an integer' : 'a number'}, ${range}`)
  }
  return value
}

/**
 * Parses a command's arguments into the collector config.
 * @throws {Error} "Cannot …" for an unknown flag, a bad value or an unreadable config file
 * @example const config = await loadConfig(['--once', '--interval', '10000'])
 */
export async function loadConfig(args: string[], sources: ConfigSources = denoSources): Promise<CollectorConfig> {
  let parsed
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        api: { type: 'string' }, 'state-dir': { type: 'string' }, config: { type: 'string' }, 'passphrase-file': { type: 'string' },
        once: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, 'pool-api-base': { type: 'string', multiple: true },
        ...Object.fromEntries(Object.keys(NUMBERS).map((name) => [name, { type: 'string' as const }])),
      },
    })
  } catch (error) {
    throw new Error(`Cannot parse arguments: ${(error as Error).message}`)
  }
  const flags = parsed.values as Record<string, string | boolean | undefined>
  const configPath = (flags.config as string | undefined) ?? sources.env('HASHINSIGHT_CONFIG')
  const file = configPath && !flags.help ? await readConfigFile(configPath, sources) : {}
  const pick = (flag: string, env: string | undefined, key: string): string | undefined => {
    const value = flags[flag] ?? (env ? sources.env(env) : undefined) ?? file[key]
    if (value !== undefined && typeof value !== 'string') throw new Error(`Cannot use ${key} from ${configPath}: expected a string`)
    return value === '' ? undefined : value
  }
  const num = (flag: NumberFlag) => toNumber(flag, flags[flag] ?? file[NUMBERS[flag].key] ?? NUMBERS[flag].fallback)
  const stateDir = pick('state-dir', 'HASHINSIGHT_STATE_DIR', 'state_dir')
  return {
    apiUrl: pick('api', 'HASHINSIGHT_API_URL', 'api_url'),
    stateDir: stateDir ?? (flags.help ? '' : defaultStateDir()),
    passphraseFile: pick('passphrase-file', 'HASHINSIGHT_PASSPHRASE_FILE', 'passphrase_file'),
    intervalMs: num('interval'),
    jitter: num('jitter'),
    concurrency: num('concurrency'),
    pollThreads: num('poll-threads'),
    timeoutMs: num('timeout'),
    apiTimeoutMs: num('api-timeout'),
    refreshEvery: num('refresh-every'),
    spoolMaxBatches: num('spool-max-batches'),
    spoolMaxBytes: Math.round(num('spool-max-mb') * 1024 * 1024),
    poolIntervalMs: num('pool-interval'),
    poolApiBases: parsePoolApiBases((parsed.values['pool-api-base'] as string[] | undefined) ?? [], sources.env),
    once: flags.once === true,
    help: flags.help === true,
    positionals: parsed.positionals,
  }
}
