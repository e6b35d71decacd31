/**
 * The live event stream: a 60-second ticket (POST /api/stream/ticket), then an
 * EventSource on /api/stream. Any error or a `close` event ends that EventSource
 * and a new one opens with a fresh ticket, after a backoff (1 s doubling to 30 s,
 * jittered; at once when the network comes back). Heartbeats are SSE comments:
 * they keep the connection alive and never reach this code. A reconnect cannot
 * resume from the last event id (EventSource sets that header only on its own
 * retries), so every open calls `onOpen` and the caller refetches to catch up.
 */
import { api } from '../api.ts'

export type StreamStatus = 'connecting' | 'live' | 'reconnecting'
export type LiveEventType = 'telemetry' | 'alert.raised' | 'alert.cleared' | 'miner.changed' | 'command.progress' | 'security.alert'
const EVENT_TYPES: LiveEventType[] = ['telemetry', 'alert.raised', 'alert.cleared', 'miner.changed', 'command.progress', 'security.alert']
const MAX_DELAY_MS = 30_000

export interface StreamHandlers {
  onEvent(type: LiveEventType, data: unknown): void
  onStatus(status: StreamStatus): void
  /** The stream (re)opened: events before this moment were not seen. */
  onOpen(): void
}

/** Opens the stream and keeps it open until the returned function is called. */
export function openLiveStream(token: () => string | null, handlers: StreamHandlers): () => void {
  let source: EventSource | null = null
  let timer: ReturnType<typeof setTimeout> | undefined
  let attempt = 0
  let stopped = false

  async function connect(): Promise<void> {
    timer = undefined
    if (stopped) return
    handlers.onStatus(attempt === 0 ? 'connecting' : 'reconnecting')
    let ticket: string
    try {
      ticket = (await api<{ ticket: string }>('POST', '/api/stream/ticket', token())).ticket
    } catch {
      return retry()
    }
    if (stopped) return
    const es = new EventSource(`/api/stream?ticket=${encodeURIComponent(ticket)}`)
    source = es
    es.onopen = () => {
      attempt = 0
      handlers.onStatus('live')
      handlers.onOpen()
    }
    for (const type of EVENT_TYPES) {
      es.addEventListener(type, (event) => {
        let data: unknown
        try {
          data = JSON.parse((event as MessageEvent<string>).data)
        } catch {
          return
        }
        handlers.onEvent(type, data)
      })
    }
    es.addEventListener('close', retry)
    es.onerror = retry
  }

  function retry(): void {
    source?.close()
    source = null
    if (stopped || timer !== undefined) return
    handlers.onStatus('reconnecting')
    const delay = Math.min(MAX_DELAY_MS, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2)
    attempt++
    timer = setTimeout(() => void connect(), delay)
  }

  const onOnline = () => {
    // Only while waiting to retry: an open or opening stream is left alone.
    if (source || stopped || timer === undefined) return
    clearTimeout(timer)
    attempt = 0
    void connect()
  }
  addEventListener('online', onOnline)
  void connect()

  return () => {
    stopped = true
    clearTimeout(timer)
    source?.close()
    removeEventListener('online', onOnline)
  }
}
