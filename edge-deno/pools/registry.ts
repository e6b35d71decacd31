/**
 * The pools whose statistics the edge can read, which one a pool key names (the
 * owner's free-text `pool`, e.g. "Braiins Pool"), and where each one's API is: the
 * real host unless `--pool-api-base <name>=<url>` or `HASHINSIGHT_POOL_API_<NAME>`
 * points elsewhere (a proxy, or a simulator in tests).
 */
import { antpool } from './antpool.ts'
import { braiins } from './braiins.ts'
import type { PoolClient } from './pool_api.ts'

export const POOLS = { braiins, antpool } satisfies Record<string, PoolClient>
export type PoolName = keyof typeof POOLS
export type PoolBases = Partial<Record<PoolName, string>>

const NAMES = Object.keys(POOLS) as PoolName[]
// Braiins Pool was Slush Pool until 2022; keys labelled either way are the same API.
const ALIASES: [RegExp, PoolName][] = [[/braiins|slush/, 'braiins'], [/antpool/, 'antpool']]

/** "Braiins Pool" → 'braiins'; undefined for a pool we cannot query. */
export function poolNamed(pool: string): PoolName | undefined {
  const plain = pool.toLowerCase().replace(/[^a-z]/g, '')
  return ALIASES.find(([pattern]) => pattern.test(plain))?.[1]
}

/** "Braiins Pool, Antpool": for messages about a pool we do not support. */
export const SUPPORTED_POOLS = NAMES.map((n) => POOLS[n].label).join(', ')

/**
 * Base URL overrides from `name=url` flags, then `HASHINSIGHT_POOL_API_<NAME>`.
 * @throws {Error} "Cannot use --pool-api-base …" for an unknown pool or a URL that is not http(s)
 * @example parsePoolApiBases(['braiins=http://127.0.0.1:9000'], (n) => Deno.env.get(n))
 */
export function parsePoolApiBases(entries: readonly string[], env: (name: string) => string | undefined): PoolBases {
  const bases: PoolBases = {}
  const take = (source: string, name: string, url: string) => {
    if (!(NAMES as string[]).includes(name)) throw new Error(`Cannot use ${source}: unknown pool '${name}' (known: ${NAMES.join(', ')})`)
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw new Error(`Cannot use ${source}: '${url}' is not a URL`)
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`Cannot use ${source}: expected an http or https URL`)
    bases[name as PoolName] = parsed.href.replace(/\/+$/, '')
  }
  for (const name of NAMES) {
    const url = env(`HASHINSIGHT_POOL_API_${name.toUpperCase()}`)
    if (url) take(`HASHINSIGHT_POOL_API_${name.toUpperCase()}`, name, url)
  }
  for (const entry of entries) {
    const at = entry.indexOf('=')
    if (at < 1) throw new Error(`Cannot use --pool-api-base '${entry}': expected <pool>=<url>, e.g. braiins=https://pool.braiins.com`)
    take(`--pool-api-base '${entry}'`, entry.slice(0, at).trim().toLowerCase(), entry.slice(at + 1).trim())
  }
  return bases
}
