/**
 * A loopback HTTP proxy in front of the test API, so a browser test can lose an
 * answer the server already sent (the request applied, the response never
 * arrives) or find the server gone, exactly when it asks. Streams (SSE) pass
 * through unbuffered.
 */
import { createServer, request, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FlakyProxy {
  url: string
  /**
   * Lets the next request matching `match` reach the API, reads the API's whole
   * answer, then cuts the browser's connection instead of answering. With
   * `thenDown`, the server then looks gone (every request cut) until `up()`: the
   * API died between applying a request and answering it.
   * @returns resolves with the answer's status once one was dropped
   */
  dropNextAnswer(match: (req: IncomingMessage) => boolean, options?: { thenDown?: boolean }): Promise<number>
  /** Ends the outage that `dropNextAnswer(…, { thenDown: true })` began. */
  up(): void
  close(): Promise<void>
}

/** Starts the proxy on a free loopback port, forwarding to `targetPort()` (read per request: the API may move). */
export async function startFlakyProxy(targetPort: () => number): Promise<FlakyProxy> {
  const drops: { match: (req: IncomingMessage) => boolean; thenDown: boolean; dropped: (status: number) => void }[] = []
  let down = false
  const server = createServer((req, res) => {
    if (down) return void req.socket.destroy()
    const drop = drops.findIndex((d) => d.match(req))
    const dropping = drop >= 0 ? drops.splice(drop, 1)[0] : undefined
    const upstream = request({ host: '127.0.0.1', port: targetPort(), method: req.method, path: req.url, headers: req.headers }, (answer) => {
      if (dropping) {
        answer.resume()
        answer.on('end', () => {
          if (dropping.thenDown) down = true
          req.socket.destroy()
          dropping.dropped(answer.statusCode ?? 0)
        })
        return
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    // The API is down (restarting): the browser sees what a dead server looks like.
    upstream.on('error', () => req.socket.destroy())
    res.on('close', () => upstream.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    dropNextAnswer: (match, options = {}) => new Promise((dropped) => drops.push({ match, thenDown: options.thenDown ?? false, dropped })),
    up: () => {
      down = false
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
