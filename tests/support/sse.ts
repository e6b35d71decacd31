/** A small server-sent-events client over fetch, for tests. */
export interface SseEvent {
  id?: string
  event: string
  data: unknown
  /** performance.now() when the event was parsed. */
  receivedAt: number
}

export interface SseConnection {
  events: SseEvent[]
  /** Resolves with the first event (already received or future) that matches. */
  waitFor(match: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>
  status: number
  closed: Promise<void>
  close(): void
}

export async function connectSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  const abort = new AbortController()
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal })
  const events: SseEvent[] = []
  const waiters: { match: (e: SseEvent) => boolean; done: (e: SseEvent) => void }[] = []
  const push = (e: SseEvent) => {
    events.push(e)
    for (const w of [...waiters]) if (w.match(e)) {
      waiters.splice(waiters.indexOf(w), 1)
      w.done(e)
    }
  }
  const closed = (async () => {
    if (!res.body) return
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true })
        let end
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const e: SseEvent = { event: 'message', data: undefined, receivedAt: performance.now() }
          let data = ''
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) e.id = line.slice(4)
            else if (line.startsWith('event: ')) e.event = line.slice(7)
            else if (line.startsWith('data: ')) data += line.slice(6)
          }
          if (data) {
            e.data = JSON.parse(data)
            push(e)
          }
        }
      }
    } catch {
      // aborted
    }
  })()
  return {
    events,
    status: res.status,
    closed,
    close: () => abort.abort(),
    waitFor(match, timeoutMs = 10_000) {
      const found = events.find(match)
      if (found) return Promise.resolve(found)
      return new Promise((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`No matching event within ${timeoutMs} ms; got ${events.map((e) => e.event).join(', ')}`)), timeoutMs)
        waiters.push({ match, done: (e) => { clearTimeout(timer); done(e) } })
      })
    },
  }
}
