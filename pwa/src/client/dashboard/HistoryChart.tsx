/** Hashrate and chip temperature over 1 h, 24 h or 7 d for a site or a miner (uPlot). */
import { useEffect, useRef, useState } from 'preact/hooks'
import uPlot from 'uplot'
import uplotStyles from 'uplot/dist/uPlot.min.css'
import type { History } from '../../shared/api_types.ts'
import { api } from '../api.ts'
import { session } from '../state.ts'
import { addStyleOnce } from './style_once.ts'

type Range = '1h' | '24h' | '7d'
const RANGES: Range[] = ['1h', '24h', '7d']

export function HistoryChart({ scope }: { scope: { site_id: string } | { miner_id: string } }) {
  const [range, setRange] = useState<Range>('1h')
  const [history, setHistory] = useState<History | null>(null)
  const [error, setError] = useState<string | null>(null)
  const box = useRef<HTMLDivElement>(null)
  const query = new URLSearchParams({ range, ...scope }).toString()
  addStyleOnce(uplotStyles)

  useEffect(() => {
    let current = true
    setError(null)
    api<History>('GET', `/api/history?${query}`, session.value?.token ?? null)
      .then((h) => current && setHistory(h))
      .catch((e: Error) => current && setError(e.message))
    return () => void (current = false)
  }, [query])

  useEffect(() => {
    const el = box.current
    if (!el || !history) return
    const data: uPlot.AlignedData = [
      history.points.map((p) => Date.parse(p.t) / 1000),
      history.points.map((p) => p.hashrate_ths),
      history.points.map((p) => p.temp_chip_max_c),
    ]
    const size = () => ({ width: Math.max(200, el.clientWidth), height: 220 })
    const grid = { stroke: '#334155', width: 1 }
    const axis = { stroke: '#94a3b8', grid, ticks: grid }
    const plot = new uPlot({
      ...size(),
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, th: {}, c: {} },
      series: [
        {},
        { label: 'TH/s', scale: 'th', stroke: '#f59e0b', width: 2, spanGaps: false },
        { label: '°C', scale: 'c', stroke: '#f87171', width: 1.5 },
      ],
      axes: [axis, { ...axis, scale: 'th', size: 44 }, { ...axis, scale: 'c', side: 1, size: 36, grid: { show: false } }],
    }, data, el)
    const observer = new ResizeObserver(() => plot.setSize(size()))
    observer.observe(el)
    return () => {
      observer.disconnect()
      plot.destroy()
    }
  }, [history])

  return (
    <div class="stack chart">
      <div class="tabs" role="group" aria-label="Time range">
        {RANGES.map((r) => <button type="button" aria-pressed={r === range} onClick={() => setRange(r)}>{r}</button>)}
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {history && history.points.length === 0 && <p class="hint">No figures in this range yet.</p>}
      <div ref={box} class="plot" aria-label="History chart" />
    </div>
  )
}
