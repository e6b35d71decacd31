/**
 * What remote control can change on a simulated miner (pools, paused, LED, web
 * login, boot time), and how later `summary`/`pools`/`stats` replies show it. An
 * untouched miner serves its fixtures exactly as before; a touched one is served
 * clean JSON patched from this state, so telemetry reflects every command.
 */
import type { Vendor } from './profiles.ts'

/** One pool as the miner keeps it (the password never appears in a reply). */
export interface SimPool {
  url: string
  user: string
  password: string
  enabled: boolean
}

/** The stock login of Antminer's web interface. */
export const DEFAULT_LOGIN = { user: 'root', password: 'root' } as const

// Rate fields of every vendor's summary/stats rows (as in profiles.ts varyRates).
const RATE = /^(?:[KMGT]?HS |chain_rate\d|HS RT|rate_30m|total rate)/

/** The mutable state of one simulated miner. */
export class MinerControl {
  /** null until a command sets them: the fixture's pools are served. */
  pools: SimPool[] | null = null
  activePool = 0
  paused = false
  led = false
  login: { user: string; password: string }
  /** ms since the epoch of the last reboot or restart; null: the fixture's uptime. */
  bootedAt: number | null = null
  reboots = 0
  restarts = 0
  #onChange: () => void

  constructor(
    readonly vendor: Vendor,
    login: { user: string; password: string } = DEFAULT_LOGIN,
    onChange: () => void = () => {},
  ) {
    this.login = { ...login }
    this.#onChange = onChange
  }

  /** True once any command changed the miner. */
  get touched(): boolean {
    return this.pools !== null || this.paused || this.led || this.bootedAt !== null
  }

  /** Records a change; replies cached before it are dropped. */
  changed(): void {
    this.#onChange()
  }

  /**
   * Pools as served, seeding from the fixture's when a command first changes them.
   * `fixture` renders a whole `pools` reply, so it is called only that first time.
   */
  poolsOr(fixture: () => SimPool[]): SimPool[] {
    return (this.pools ??= fixture().map((p) => ({ ...p })))
  }

  reboot(): void {
    this.bootedAt = Date.now()
    this.reboots++
    this.changed()
  }

  restart(): void {
    this.bootedAt = Date.now()
    this.restarts++
    this.changed()
  }

  /** Patches one clean reply text (no NUL) with this state. */
  patch(command: string, text: string): string {
    // deno-lint-ignore no-explicit-any
    const reply: any = JSON.parse(text)
    const elapsed = this.bootedAt === null ? null : Math.floor((Date.now() - this.bootedAt) / 1000)
    for (const row of [...(reply.SUMMARY ?? []), ...(reply.STATS ?? []), ...(reply.DEVS ?? [])]) {
      if (elapsed !== null && typeof row.Elapsed === 'number') row.Elapsed = elapsed
      if (elapsed !== null && typeof row['Device Elapsed'] === 'number') row['Device Elapsed'] = elapsed
      if (this.paused) for (const key of Object.keys(row)) if (RATE.test(key) || key === 'MHS av' || key === 'MHS 30s') row[key] = typeof row[key] === 'string' ? '0.00' : 0
      if (this.paused && typeof row['MM ID0'] === 'string') row['MM ID0'] = row['MM ID0'].replace(/GHSspd\[[^\]]*\]/, 'GHSspd[0.00]')
    }
    if (command === 'pools' && this.pools && Array.isArray(reply.POOLS)) {
      const template = reply.POOLS[0] ?? {}
      reply.POOLS = this.pools.map((p, i) => ({
        ...template, POOL: i, URL: p.url, User: p.user, Priority: i,
        Status: p.enabled ? 'Alive' : 'Disabled', 'Stratum Active': p.enabled && i === this.activePool,
      }))
    }
    return JSON.stringify(reply)
  }
}

/** The fixture's pools as the miner's starting configuration (passwords unknown: 'x'). */
export function fixturePools(poolsReplyText: string): SimPool[] {
  try {
    const rows: { URL?: string; User?: string; Status?: string }[] = JSON.parse(poolsReplyText).POOLS ?? []
    return rows.map((r) => ({ url: r.URL ?? '', user: r.User ?? '', password: 'x', enabled: r.Status !== 'Disabled' }))
  } catch {
    return []
  }
}
