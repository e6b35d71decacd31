/**
 * The live dashboard (its own lazy chunk, with uPlot): farm and site totals, the
 * selected site's miners with live figures and a sort, its open alerts, and
 * history charts. Telemetry is not secret: no unlock is needed to see it.
 */
import { useEffect, useMemo, useState } from 'preact/hooks'
import type { LiveMiner, SiteTotals } from '../../shared/api_types.ts'
import { online, session } from '../state.ts'
import { VirtualList } from '../VirtualList.tsx'
import { HistoryChart } from './HistoryChart.tsx'
import styles from './dashboard.css'
import { applyEvent, farm, loadError, openAlerts, refresh, selectSite, selectedSite, siteLive, staleSince, streamStatus } from './live_state.ts'
import { openLiveStream } from './live_stream.ts'
import { addStyleOnce } from './style_once.ts'

type Sort = 'name' | 'hashrate' | 'temperature' | 'status'
type Tab = 'miners' | 'alerts' | 'charts'
const ALERT_LABELS: Record<string, string> = { offline: 'Offline', temperature: 'Too hot', hashrate_drop: 'Hashrate drop', reject_rate: 'Rejected shares' }
const ALERT_UNITS: Record<string, string> = { temperature: ' °C', hashrate_drop: ' TH/s', reject_rate: '' }

const num = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? '–' : v.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits }))
const kw = (w: number | null | undefined) => (w === null || w === undefined ? '–' : `${num(w / 1000)} kW`)

/** `14:02` today, `3 Mar 14:02` before. */
export function clock(ms: number): string {
  const d = new Date(ms)
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
  return d.toDateString() === new Date().toDateString() ? time : `${d.toLocaleDateString([], { day: 'numeric', month: 'short' })} ${time}`
}

function statusOf(m: LiveMiner): 'alert' | 'offline' | 'ok' {
  if (m.alerts.length > 0) return 'alert'
  return m.online ? 'ok' : 'offline'
}
const STATUS_RANK = { alert: 0, offline: 1, ok: 2 }

function sorted(miners: LiveMiner[], sort: Sort): LiveMiner[] {
  const by = {
    name: (a: LiveMiner, b: LiveMiner) => a.name.localeCompare(b.name, undefined, { numeric: true }),
    hashrate: (a: LiveMiner, b: LiveMiner) => (b.hashrate_ths ?? -1) - (a.hashrate_ths ?? -1),
    temperature: (a: LiveMiner, b: LiveMiner) => (b.temp_chip_max_c ?? -999) - (a.temp_chip_max_c ?? -999),
    status: (a: LiveMiner, b: LiveMiner) => STATUS_RANK[statusOf(a)] - STATUS_RANK[statusOf(b)],
  }[sort]
  return [...miners].sort((a, b) => by(a, b) || a.name.localeCompare(b.name, undefined, { numeric: true }))
}

function Totals({ totals, label }: { totals: SiteTotals; label: string }) {
  return (
    <dl class="tiles" aria-label={label}>
      <div><dt>Hashrate</dt><dd data-testid="total-hashrate">{num(totals.hashrate_ths)} <small>TH/s</small></dd></div>
      <div><dt>Online</dt><dd>{totals.online}<small> / {totals.miners}</small></dd></div>
      <div><dt>Offline</dt><dd>{totals.miners - totals.online}</dd></div>
      <div class={totals.alerting > 0 ? 'bad' : ''}><dt>Alerting</dt><dd>{totals.alerting}</dd></div>
      <div class="wide"><dt>Power</dt><dd>{kw(totals.power_w)}</dd></div>
    </dl>
  )
}

function MinerRow({ m, onChart }: { m: LiveMiner; onChart: (id: string) => void }) {
  const status = statusOf(m)
  return (
    <button type="button" class={`liverow ${status}`} aria-label={`${m.name}: chart`} onClick={() => onChart(m.miner_id)}>
      <span class="dot" title={status === 'ok' ? 'Online' : status === 'offline' ? 'Offline' : 'Alerting'} />
      <span class="grow"><strong>{m.name}</strong><small>{status === 'alert' ? m.alerts.map((a) => ALERT_LABELS[a] ?? a).join(', ') : status === 'ok' ? 'Online' : 'Offline'}</small></span>
      <span class="fig">{num(m.hashrate_ths)}<small>TH/s</small></span>
      <span class={`fig ${(m.temp_chip_max_c ?? 0) >= 85 ? 'hot' : ''}`}>{num(m.temp_chip_max_c, 0)}<small>°C</small></span>
    </button>
  )
}

export function Dashboard() {
  const [tab, setTab] = useState<Tab>('miners')
  const [sort, setSort] = useState<Sort>('name')
  const [chartMiner, setChartMiner] = useState<string | null>(null)
  addStyleOnce(styles)

  useEffect(() => {
    void refresh()
    const stop = openLiveStream(() => session.value?.token ?? null, {
      onEvent: applyEvent,
      onStatus: (s) => (streamStatus.value = s),
      onOpen: () => void refresh(),
    })
    return stop
  }, [])

  const f = farm.value
  const site = siteLive.value
  const miners = useMemo(() => sorted(site?.miners ?? [], sort), [site, sort])
  const names = useMemo(() => new Map((site?.miners ?? []).map((m) => [m.miner_id, m.name])), [site])
  const stale = staleSince.value
  const alerts = openAlerts.value
  const showChart = (minerId: string) => {
    setChartMiner(minerId)
    setTab('charts')
  }

  return (
    <section class="stack dashboard">
      <div class="row center">
        <h1 class="grow">Live</h1>
        {stale === null && <span class={`pill ${streamStatus.value}`} role="status">{streamStatus.value === 'live' ? 'Live' : online.value ? 'Connecting…' : 'Offline'}</span>}
      </div>
      {stale !== null && <p class="banner stale" role="status">Offline — last known values from {clock(stale)}</p>}
      {loadError.value && !f && <p class="error" role="alert">{loadError.value}</p>}
      {!f ? (!loadError.value && <p>Loading…</p>) : (
        <>
          <Totals totals={f.totals} label="Farm totals" />
          {f.sites.length === 0 ? <p class="hint">No sites yet. Add one under Sites.</p> : (
            <ul class="sitechips" aria-label="Sites">
              {f.sites.map((s) => (
                <li key={s.site_id}>
                  <button type="button" aria-pressed={s.site_id === selectedSite.value} onClick={() => { setChartMiner(null); selectSite(s.site_id) }}>
                    <strong>{s.name}</strong>
                    <small>{num(s.totals.hashrate_ths)} TH/s · {s.totals.online}/{s.totals.miners} on{s.totals.alerting > 0 ? ` · ${s.totals.alerting} alerting` : ''}</small>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      {site && (
        <>
          <div class="tabs" role="tablist">
            <button type="button" role="tab" aria-selected={tab === 'miners'} onClick={() => setTab('miners')}>Miners</button>
            <button type="button" role="tab" aria-selected={tab === 'alerts'} onClick={() => setTab('alerts')}>Alerts{alerts && alerts.length > 0 ? ` (${alerts.length})` : ''}</button>
            <button type="button" role="tab" aria-selected={tab === 'charts'} onClick={() => setTab('charts')}>Charts</button>
          </div>
          {tab === 'miners' && (
            <>
              <label class="sortby">Sort by
                <select value={sort} onChange={(e) => setSort(e.currentTarget.value as Sort)}>
                  <option value="name">Name</option>
                  <option value="hashrate">Hashrate</option>
                  <option value="temperature">Temperature</option>
                  <option value="status">Status</option>
                </select>
              </label>
              {miners.length === 0 ? <p class="hint">No miners on this site yet.</p>
                : miners.length > 200
                  ? <VirtualList items={miners} rowHeight={60} label="Live miners" renderRow={(m) => <MinerRow m={m} onChart={showChart} />} />
                  : <ul class="livelist" aria-label="Live miners">{miners.map((m) => <li key={m.miner_id}><MinerRow m={m} onChart={showChart} /></li>)}</ul>}
            </>
          )}
          {tab === 'alerts' && (
            alerts === null ? <p>Loading…</p> : alerts.length === 0 ? <p class="hint">No open alerts on this site.</p> : (
              <ul class="alertlist" aria-label="Open alerts">
                {alerts.map((a) => (
                  <li key={a.id} class="panel">
                    <strong>{names.get(a.miner_id) ?? 'Unknown miner'}</strong> <span class="badge attention">{ALERT_LABELS[a.type] ?? a.type}</span>
                    {a.value !== null && <p>{num(a.value)}{ALERT_UNITS[a.type] ?? ''}{a.threshold !== null && ` (limit ${num(a.threshold)}${ALERT_UNITS[a.type] ?? ''})`}</p>}
                    <small>since {clock(Date.parse(a.raised_at))}</small>
                  </li>
                ))}
              </ul>
            )
          )}
          {tab === 'charts' && (
            <>
              <label class="sortby">Show
                <select value={chartMiner ?? ''} onChange={(e) => setChartMiner(e.currentTarget.value || null)}>
                  <option value="">Whole site</option>
                  {site.miners.map((m) => <option value={m.miner_id}>{m.name}</option>)}
                </select>
              </label>
              <HistoryChart scope={chartMiner ? { miner_id: chartMiner } : { site_id: site.site_id }} />
            </>
          )}
        </>
      )}
    </section>
  )
}
