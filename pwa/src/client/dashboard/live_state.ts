/**
 * The dashboard's state as signals: farm and site live figures, open alerts, and
 * whether what shows is current or the last known copy from IndexedDB. Reads go
 * to the API first; each answer is kept per site, and when the API cannot be
 * reached the kept copy shows with the time it was current. Stream events update
 * the figures in place and the kept copy follows (at most once a second).
 */
import { signal } from '@preact/signals'
import type { Alert, FarmLive, LiveMiner, SiteLive, SiteTotals } from '../../shared/api_types.ts'
import { api } from '../api.ts'
import { session } from '../state.ts'
import { getLive, putLive } from '../store.ts'
import type { LiveEventType, StreamStatus } from './live_stream.ts'

export const farm = signal<FarmLive | null>(null)
export const siteLive = signal<SiteLive | null>(null)
export const openAlerts = signal<Alert[] | null>(null)
export const selectedSite = signal<string | null>(null)
/** When set, the figures shown are the kept copy, current at this time (ms). */
export const staleSince = signal<number | null>(null)
export const streamStatus = signal<StreamStatus>('connecting')
export const loadError = signal<string | null>(null)

const token = () => session.value?.token ?? null

/** Reads from the API and keeps the answer; on failure returns the kept copy (or rethrows when there is none). */
async function read<T>(key: string, path: string): Promise<{ data: T; savedAt: number | null }> {
  try {
    const data = await api<T>('GET', path, token())
    await putLive({ key, data, savedAt: Date.now() }).catch(() => undefined)
    return { data, savedAt: null }
  } catch (error) {
    const kept = await getLive(key).catch(() => undefined)
    if (!kept) throw error
    return { data: kept.data as T, savedAt: kept.savedAt }
  }
}

let generation = 0
/** Loads the farm, then the selected (or first) site and its open alerts. */
export async function refresh(): Promise<void> {
  const run = ++generation
  try {
    const f = await read<FarmLive>('farm', '/api/live')
    if (run !== generation) return
    farm.value = f.data
    const siteId = f.data.sites.some((s) => s.site_id === selectedSite.value) ? selectedSite.value : f.data.sites[0]?.site_id ?? null
    selectedSite.value = siteId
    let oldest = f.savedAt
    if (siteId) {
      const [s, a] = await Promise.all([
        read<SiteLive>(`site:${siteId}`, `/api/sites/${siteId}/live`),
        read<{ alerts: Alert[] }>(`alerts:${siteId}`, `/api/alerts?state=open&site_id=${siteId}`).catch(() => ({ data: { alerts: [] }, savedAt: null })),
      ])
      if (run !== generation) return
      siteLive.value = s.data
      openAlerts.value = a.data.alerts
      if (s.savedAt !== null) oldest = Math.min(oldest ?? s.savedAt, s.savedAt)
    } else {
      siteLive.value = null
      openAlerts.value = []
    }
    staleSince.value = oldest
    loadError.value = null
  } catch (error) {
    if (run === generation) loadError.value = (error as Error).message
  }
}

export function selectSite(siteId: string): void {
  if (selectedSite.value === siteId) return
  selectedSite.value = siteId
  siteLive.value = null
  openAlerts.value = null
  void refresh()
}

let saveTimer: ReturnType<typeof setTimeout> | undefined
/** Keeps the figures as they now show, so an offline reload shows the latest. */
function saveSoon(): void {
  if (staleSince.value !== null || saveTimer) return
  saveTimer = setTimeout(() => {
    saveTimer = undefined
    const savedAt = Date.now()
    if (farm.value) void putLive({ key: 'farm', data: farm.value, savedAt }).catch(() => undefined)
    const site = siteLive.value
    if (site) void putLive({ key: `site:${site.site_id}`, data: site, savedAt }).catch(() => undefined)
    if (site && openAlerts.value) void putLive({ key: `alerts:${site.site_id}`, data: { alerts: openAlerts.value }, savedAt }).catch(() => undefined)
  }, 1000)
}

let refreshTimer: ReturnType<typeof setTimeout> | undefined
function refreshSoon(): void {
  clearTimeout(refreshTimer)
  refreshTimer = setTimeout(() => void refresh(), 300)
}

interface TelemetryEvent {
  site_id: string
  totals: Omit<SiteTotals, 'miners'> & { miners: number }
  miners: Pick<LiveMiner, 'miner_id' | 'at' | 'online' | 'hashrate_ths' | 'temp_chip_max_c' | 'power_w'>[]
}
interface AlertEvent { site_id: string; miner_id: string; type: string; value?: number | null; threshold?: number | null; at: string }

function withSiteTotals(f: FarmLive, siteId: string, patch: Omit<SiteTotals, 'miners'>): FarmLive {
  const sites = f.sites.map((s) => (s.site_id === siteId ? { ...s, totals: { ...s.totals, ...patch } } : s))
  const sum = (k: keyof SiteTotals) => sites.reduce((n, s) => n + s.totals[k], 0)
  return { sites, totals: { miners: sum('miners'), online: sum('online'), alerting: sum('alerting'), hashrate_ths: sum('hashrate_ths'), power_w: sum('power_w') } }
}

function minerAlerts(siteId: string, minerId: string, change: (types: string[]) => string[]): void {
  const site = siteLive.value
  if (site?.site_id !== siteId) return
  const miners = site.miners.map((m) => (m.miner_id === minerId ? { ...m, alerts: change(m.alerts) } : m))
  siteLive.value = { ...site, miners, totals: { ...site.totals, alerting: miners.filter((m) => m.alerts.length > 0).length } }
}

/** Applies one stream event to the state. */
export function applyEvent(type: LiveEventType, data: unknown): void {
  if (staleSince.value !== null) return refreshSoon()
  if (type === 'telemetry') {
    const e = data as TelemetryEvent
    // The event counts only miners with live figures; the miner count stays the site's own.
    const { miners: _count, ...totals } = e.totals
    if (farm.value) farm.value = withSiteTotals(farm.value, e.site_id, totals)
    const site = siteLive.value
    if (site?.site_id === e.site_id) {
      const byId = new Map(e.miners.map((m) => [m.miner_id, m]))
      const miners = site.miners.map((m) => {
        const next = byId.get(m.miner_id)
        return next && (!m.at || !next.at || next.at >= m.at) ? { ...m, ...next } : m
      })
      const on = miners.filter((m) => m.online)
      siteLive.value = {
        ...site,
        miners,
        totals: { ...site.totals, online: on.length, hashrate_ths: on.reduce((n, m) => n + (m.hashrate_ths ?? 0), 0), power_w: on.reduce((n, m) => n + (m.power_w ?? 0), 0) },
      }
    }
    saveSoon()
  } else if (type === 'alert.raised') {
    const e = data as AlertEvent
    minerAlerts(e.site_id, e.miner_id, (types) => (types.includes(e.type) ? types : [...types, e.type]))
    if (selectedSite.value === e.site_id && openAlerts.value && !openAlerts.value.some((a) => a.miner_id === e.miner_id && a.type === e.type)) {
      openAlerts.value = [{ id: `live:${e.miner_id}:${e.type}`, site_id: e.site_id, miner_id: e.miner_id, type: e.type, value: e.value ?? null, threshold: e.threshold ?? null, raised_at: e.at, cleared_at: null }, ...openAlerts.value]
    }
    saveSoon()
    refreshSoon()
  } else if (type === 'alert.cleared') {
    const e = data as AlertEvent
    minerAlerts(e.site_id, e.miner_id, (types) => types.filter((t) => t !== e.type))
    if (openAlerts.value) openAlerts.value = openAlerts.value.filter((a) => !(a.miner_id === e.miner_id && a.type === e.type))
    saveSoon()
    refreshSoon()
  } else if (type === 'miner.changed') {
    refreshSoon()
  }
}
