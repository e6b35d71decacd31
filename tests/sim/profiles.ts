/**
 * Vendor reply shapes for simulated miners, built from the fixtures in `fixtures/`
 * with numbers varied per miner and moment, and the vendors' wire quirks applied when
 * `dirty` is on: Antminer's `}{` and `[,{`, Whatsminer's `,}`, raw newlines and
 * string STATUS, Avalon's bare `inf`/`nan`.
 */
import s19Devs from './fixtures/asic-rs__antminer_v2020_devs.json' with { type: 'json' }
import s19Pools from './fixtures/asic-rs__antminer_v2020_pools.json' with { type: 'json' }
import s19Stats from './fixtures/asic-rs__antminer_v2020_stats.json' with { type: 'json' }
import s19Summary from './fixtures/asic-rs__antminer_v2020_summary.json' with { type: 'json' }
import s19Version from './fixtures/asic-rs__antminer_v2020_version.json' with { type: 'json' }
import s21Devs from './fixtures/proto-fleet__antminer_S21_devs.json' with { type: 'json' }
import s21Pools from './fixtures/proto-fleet__antminer_S21_pools.json' with { type: 'json' }
import s21Stats from './fixtures/proto-fleet__antminer_S21_stats.json' with { type: 'json' }
import s21Summary from './fixtures/proto-fleet__antminer_S21_summary.json' with { type: 'json' }
import s21Version from './fixtures/proto-fleet__antminer_S21_version.json' with { type: 'json' }
import wmDevs from './fixtures/asic-rs__whatsminer_v2_devs.json' with { type: 'json' }
import wmErrors from './fixtures/asic-rs__whatsminer_v2_get_error_code_with_errors.json' with { type: 'json' }
import wmPools from './fixtures/asic-rs__whatsminer_v2_pools.json' with { type: 'json' }
import wmSummary from './fixtures/asic-rs__whatsminer_v2_summary.json' with { type: 'json' }
import luxStats from './fixtures/asic-rs__luxminer_v1_stats.json' with { type: 'json' }
import avEstats from './fixtures/pyasic__avalon1566_rpc_estats.json' with { type: 'json' }
import avPools from './fixtures/pyasic__avalon1566_rpc_pools.json' with { type: 'json' }
import avVersion from './fixtures/pyasic__avalon1566_rpc_version.json' with { type: 'json' }
import { round2, type Variation } from './vary.ts'

/** The vendor shapes the simulator can serve. */
export type Vendor = 'antminer-s19' | 'antminer-s21' | 'whatsminer-v2' | 'luxos' | 'avalon-1566'

export const VENDORS: readonly Vendor[] = ['antminer-s19', 'antminer-s21', 'whatsminer-v2', 'luxos', 'avalon-1566']

// deno-lint-ignore no-explicit-any
type Json = any

/** Renders one command's reply text (no NUL), or null for a command the vendor lacks. */
export type Renderer = (command: string, v: Variation, dirty: boolean) => string | null

function clone(value: Json): Json {
  return structuredClone(value)
}

function status(letter: string, code: number, msg: string, description: string, now: number): Json {
  return [{ STATUS: letter, When: now, Code: code, Msg: msg, Description: description }]
}

/** The reply real cgminer gives to an unknown or refused command. */
export function errorReply(code: number, msg: string, description: string, now: number): string {
  return JSON.stringify({ STATUS: status('E', code, msg, description, now), id: 1 })
}

function varyShares(row: Json, v: Variation): void {
  for (const key of ['Accepted', 'Getworks', 'Getwork', 'Diff1 Work']) {
    if (typeof row[key] === 'number') row[key] += Math.floor(v.seconds / 6)
  }
  if (typeof row.Rejected === 'number') row.Rejected += Math.floor(v.seconds / 5000)
  if (typeof row.Elapsed === 'number') row.Elapsed += v.seconds
}

function varyRates(row: Json, v: Variation): void {
  for (const key of Object.keys(row)) {
    if (/^(?:[KMGT]?HS |chain_rate\d|HS RT|rate_30m|total rate)/.test(key)) {
      const n = Number(row[key])
      if (n > 0) row[key] = typeof row[key] === 'string' ? round2(n * v.hashFactor).toFixed(2) : round2(n * v.hashFactor)
    }
  }
}

function varyAntminerStats(row: Json, v: Variation): void {
  varyRates(row, v)
  varyShares(row, v)
  for (const key of Object.keys(row)) {
    if (/^fan\d$/.test(key) && row[key] > 0) row[key] += v.fanOffset
    else if (/^temp(?:\d|2_\d)$/.test(key) && row[key] > 0) row[key] += v.tempOffset
    else if (/^temp_(?:chip|pcb|pic)\d$/.test(key) && row[key] !== '0-0-0-0') {
      row[key] = String(row[key]).split('-').map((t: string) => Number(t) + v.tempOffset).join('-')
    }
  }
}

function stamp(reply: Json, v: Variation): Json {
  if (Array.isArray(reply.STATUS)) reply.STATUS[0].When = v.now
  return reply
}

function antminer(fixtures: Record<string, Json>): Renderer {
  return (command, v, dirty) => {
    const base = fixtures[command]
    if (!base) return null
    const reply = stamp(clone(base), v)
    for (const row of reply.SUMMARY ?? reply.DEVS ?? []) varyRates(row, v), varyShares(row, v)
    for (const row of reply.POOLS ?? []) varyShares(row, v)
    for (const row of reply.STATS ?? []) varyAntminerStats(row, v)
    const text = JSON.stringify(reply)
    if (!dirty) return text
    if (command === 'stats') return text.replaceAll('},{', '}{')
    if (command === 'devs') return text.replace('"DEVS":[', '"DEVS":[,')
    return text
  }
}

const whatsminerDescription = 'btminer v1.1'

function whatsminer(command: string, v: Variation, dirty: boolean): string | null {
  let reply: Json
  if (command === 'summary' || command === 'devs' || command === 'pools') {
    reply = stamp(clone({ summary: wmSummary, devs: wmDevs, pools: wmPools }[command]), v)
    for (const row of reply.SUMMARY ?? reply.DEVS ?? []) {
      varyRates(row, v), varyShares(row, v)
      for (const key of ['Fan Speed In', 'Fan Speed Out']) row[key] += v.fanOffset
      for (const key of ['Temperature', 'Chip Temp Avg', 'Chip Temp Max', 'Chip Temp Min']) {
        if (key in row) row[key] += v.tempOffset
      }
      if ('Power' in row) row.Power = Math.round(row.Power * v.hashFactor)
      if ('MHS av' in row) row['MHS av'] = Math.round(row['MHS av'] * v.hashFactor)
    }
    for (const row of reply.POOLS ?? []) varyShares(row, v)
  } else if (command === 'version') {
    reply = { STATUS: 'S', When: v.now, Code: 131, Msg: { api_ver: '2.0.5', fw_ver: '20220216.22.Rel', platform: 'H6', chip: 'K30' }, Description: '' }
  } else if (command === 'get_error_code') {
    reply = { ...clone(wmErrors), When: v.now }
  } else {
    return null
  }
  const text = JSON.stringify(reply)
  if (!dirty) return text
  if (command === 'summary') return text.replace(/}]/, ',}]')
  if (command === 'devs') return text.replace('"PCB SN":"', '"PCB SN":"\n')
  if (command === 'pools') return text.replace(/}\],"STATUS"/, '},],"STATUS"')
  // btminer cuts long error lists short mid-entry.
  if (command === 'get_error_code') return text.slice(0, text.indexOf('"110"') + 8)
  return text
}

const luxDescription = 'LUXminer 2025.4.8.220305-57b389c7'

function luxFixtures(): Record<string, Json> {
  const retitle = (reply: Json, msg?: string) => {
    const copy = clone(reply)
    copy.STATUS[0].Description = luxDescription
    if (msg) copy.STATUS[0].Msg = msg
    return copy
  }
  const version = retitle(s19Version)
  version.VERSION = [{ API: '3.7', LUXminer: '2025.4.8.220305-57b389c7', Miner: '2025.4.8.220305', Type: 'Antminer S19k Pro' }]
  const summary = retitle(s19Summary)
  summary.SUMMARY[0]['GHS 5s'] = 59756.06
  summary.SUMMARY[0]['GHS av'] = 56917.91
  return { summary, pools: retitle(s19Pools), devs: retitle(s19Devs), stats: luxStats, version }
}

function setBracket(text: string, key: string, value: string): string {
  return text.replace(new RegExp(`(^| )${key}\\[[^\\]]*\\]`), `$1${key}[${value}]`)
}

function avalonSummary(v: Variation): Json {
  const ghs = 184_007 * v.hashFactor
  return {
    STATUS: status('S', 11, 'Summary', 'cgminer 4.11.1', v.now),
    SUMMARY: [{
      Elapsed: 975 + v.seconds, 'MHS av': round2(ghs * 1000), 'MHS 30s': round2(ghs * 1010), 'MHS 1m': round2(ghs * 1005),
      'MHS 5m': round2(ghs * 1000), 'MHS 15m': round2(ghs * 1000), 'Found Blocks': 0, Getworks: 27, Accepted: 148 + Math.floor(v.seconds / 6),
      Rejected: 1, 'Hardware Errors': 0, Utility: 9.1, Discarded: 0, Stale: 0, 'Get Failures': 0, 'Local Work': 714031,
      'Remote Failures': 0, 'Network Blocks': 4, 'Total MH': 1.79e11, 'Work Utility': 2570548.05, 'Difficulty Accepted': 38797312.0,
      'Difficulty Rejected': 262144.0, 'Difficulty Stale': 0.0, 'Best Share': 19649871, 'Device Hardware%': 0.0,
      'Device Rejected%': 0.6711, 'Pool Rejected%': 0.6711, 'Pool Stale%': 0.0, 'Last getwork': v.now,
    }],
    id: 1,
  }
}

function avalon(command: string, v: Variation, dirty: boolean): string | null {
  let reply: Json
  if (command === 'estats' || command === 'stats') {
    reply = stamp(clone(avEstats), v)
    const mghs = [59459.52, 61407.83, 63139.66].map((g) => round2(g * v.hashFactor))
    let mm: string = reply.STATS[0]['MM ID0']
    mm = setBracket(mm, 'GHSspd', round2(199241.07 * v.hashFactor).toFixed(2))
    mm = setBracket(mm, 'GHSavg', round2(184007 * v.hashFactor).toFixed(2))
    mm = setBracket(mm, 'MGHS', mghs.join(' '))
    mm = setBracket(mm, 'MTmax', [77, 78, 77].map((t) => t + v.tempOffset).join(' '))
    mm = setBracket(mm, 'TMax', String(78 + v.tempOffset))
    mm = setBracket(mm, 'Fan1', String(4275 + v.fanOffset))
    mm = setBracket(mm, 'Fan2', String(4282 + v.fanOffset))
    mm = setBracket(mm, 'WALLPOWER', String(Math.round(3731 * v.hashFactor)))
    mm = setBracket(mm, 'Elapsed', String(975 + v.seconds))
    reply.STATS[0]['MM ID0'] = mm
    reply.STATS[0].Elapsed = 975 + v.seconds
  } else if (command === 'summary') {
    reply = avalonSummary(v)
  } else if (command === 'devs') {
    const s = avalonSummary(v).SUMMARY[0]
    reply = {
      STATUS: status('S', 9, '1 ASC(s)', 'cgminer 4.11.1', v.now),
      DEVS: [{ ASC: 0, Name: 'AVA10', ID: 0, Enabled: 'Y', Status: 'Alive', Temperature: 31.0, 'MHS av': s['MHS av'], 'MHS 30s': s['MHS 30s'],
        Accepted: s.Accepted, Rejected: 1, 'Hardware Errors': 0, Utility: 9.1, 'Device Elapsed': s.Elapsed }],
      id: 1,
    }
  } else if (command === 'pools' || command === 'version') {
    reply = stamp(clone(command === 'pools' ? avPools : avVersion), v)
    for (const row of reply.POOLS ?? []) varyShares(row, v)
  } else {
    return null
  }
  const text = JSON.stringify(reply)
  if (!dirty) return text
  if (command === 'summary') return text.replace('"Device Hardware%":0', '"Device Hardware%":nan')
  if (command === 'devs') return text.replace('"Utility":9.1', '"Utility":inf')
  return text
}

/** The renderer of each vendor shape. */
export const RENDERERS: Record<Vendor, Renderer> = {
  'antminer-s19': antminer({ summary: s19Summary, pools: s19Pools, devs: s19Devs, stats: s19Stats, version: s19Version }),
  'antminer-s21': antminer({ summary: s21Summary, pools: s21Pools, devs: s21Devs, stats: s21Stats, version: s21Version }),
  'whatsminer-v2': whatsminer,
  luxos: antminer(luxFixtures()),
  'avalon-1566': avalon,
}

/** The description each vendor puts in its STATUS, for error replies. */
export const DESCRIPTIONS: Record<Vendor, string> = {
  'antminer-s19': 'cgminer 1.0.0',
  'antminer-s21': 'cgminer 1.0.0',
  'whatsminer-v2': whatsminerDescription,
  luxos: luxDescription,
  'avalon-1566': 'cgminer 4.11.1',
}
