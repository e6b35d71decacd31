/**
 * Positions in a feed ordered by (transaction id, sequence). Rows are read only
 * below the oldest running transaction, where the set is final, so a cursor that
 * moves through them never skips a row that commits late.
 */
export interface FeedCursor {
  /** xid8 as decimal text (it outgrows a double). */
  txid: string
  seq: number
}

/** The stream's position in both feeds it reads: `<events>_<changes>`, each `txid.seq`. */
export interface StreamPosition {
  events: FeedCursor
  changes: FeedCursor
}

const PART = /^(\d{1,20})\.(\d{1,20})$/

export function formatPosition(p: StreamPosition): string {
  return `${p.events.txid}.${p.events.seq}_${p.changes.txid}.${p.changes.seq}`
}

/** Parses a Last-Event-ID; undefined when it is not one of ours. */
export function parsePosition(text: string | undefined): StreamPosition | undefined {
  const [a, b, extra] = (text ?? '').split('_')
  const ea = PART.exec(a ?? '')
  const eb = PART.exec(b ?? '')
  if (!ea || !eb || extra !== undefined) return undefined
  return { events: { txid: ea[1]!, seq: Number(ea[2]) }, changes: { txid: eb[1]!, seq: Number(eb[2]) } }
}
