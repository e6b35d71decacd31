/**
 * Which kind of miner answered, from its replies alone: Antminer (stock bmminer),
 * LuxOS, Whatsminer (btminer API 2.x), Avalon, or plain cgminer. Pure.
 */
import { avalonFields } from './bracket.ts'
import { type Replies, type Row, rows, str } from './fields.ts'

/** The firmware families the collector knows how to read. */
export type Vendor = 'antminer' | 'luxos' | 'whatsminer' | 'avalon' | 'cgminer' | 'unknown'

/** What a miner is, as far as its replies say. */
export interface MinerIdentity {
  vendor: Vendor
  model: string | null
  firmware: string | null
}

function descriptions(replies: Replies): string {
  let text = ''
  for (const reply of replies.values()) text += (reply.status?.description ?? '') + ' '
  return text
}

function avalonVersion(replies: Replies): { model: string | null; firmware: string | null } {
  const version = rows(replies, 'version', 'VERSION')[0]
  const stats = [...rows(replies, 'estats', 'STATS'), ...rows(replies, 'stats', 'STATS')]
  const packed = stats.length > 0 ? avalonFields(stats[0]).Ver : undefined
  // Ver[15-194-24102401_25462b2_9ddf522] is model 15-194 with firmware 24102401_…
  const ver = packed ? /^(?:([A-Z]?\d+-\d+)-)?(.+)$/.exec(packed) : null
  const model = str(version?.PROD) ?? (ver?.[1] ? `AvalonMiner ${ver[1]}` : 'AvalonMiner')
  const firmware = str(version?.VERSION) ?? str(ver?.[2]) ?? null
  return { model, firmware }
}

/** The vendor family of the replies. */
export function detectVendor(replies: Replies): Vendor {
  if (replies.size === 0) return 'unknown'
  const summary = rows(replies, 'summary', 'SUMMARY')[0]
  const stats: Row[] = [...rows(replies, 'stats', 'STATS'), ...rows(replies, 'estats', 'STATS')]
  const version = rows(replies, 'version', 'VERSION')[0]
  const described = descriptions(replies)
  if (described.includes('LUXminer') || version?.LUXminer !== undefined) return 'luxos'
  const avalonRow = stats.some((row) => Object.keys(row).some((k) => k.startsWith('MM ID')) || String(row.ID).startsWith('AVA'))
  if (avalonRow || String(version?.PROD ?? '').startsWith('Avalon')) return 'avalon'
  if (described.includes('btminer') || (summary && ('Power Mode' in summary || 'Factory GHS' in summary || 'HS RT' in summary))) {
    return 'whatsminer'
  }
  const type = String(version?.Type ?? stats[0]?.Type ?? '')
  if (type.startsWith('Antminer') || version?.BMMiner !== undefined || stats[0]?.BMMiner !== undefined) return 'antminer'
  return 'cgminer'
}

/**
 * Vendor, model and firmware from whatever of `version`, `stats`, `estats`,
 * `devdetails` was asked.
 * @example identifyMiner(replies) // {vendor: 'antminer', model: 'Antminer S19 Pro', firmware: '49.0.1.3'}
 */
export function identifyMiner(replies: Replies): MinerIdentity {
  const vendor = detectVendor(replies)
  if (vendor === 'avalon') return { vendor, ...avalonVersion(replies) }
  const version = rows(replies, 'version', 'VERSION')[0]
  const stats = rows(replies, 'stats', 'STATS')[0]
  if (vendor === 'whatsminer') {
    const msg = replies.get('version')?.body.Msg as Row | undefined
    const details = rows(replies, 'devdetails', 'DEVDETAILS')[0]
    return { vendor, model: str(details?.Model) ?? 'Whatsminer', firmware: str(msg?.fw_ver) }
  }
  const model = str(version?.Type) ?? str(stats?.Type)
  const firmware = str(version?.Miner) ?? str(stats?.Miner) ?? str(version?.CGMiner) ?? str(version?.BMMiner)
  return { vendor, model, firmware }
}
