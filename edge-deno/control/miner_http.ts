/**
 * A small HTTP/1.1 client for miners' web interfaces (Antminer's lighttpd and the
 * like) over `Deno.connect`. One connection per miner carries an action's few
 * requests (the Digest challenge, the read, the write) and is closed when the action
 * ends.
 *
 * Why not fetch: in a thousand-miner command fetch was a third of the edge's CPU
 * (a Request, Headers, streams and a merged signal per request), and its pool kept
 * every miner's socket open idle after the action, thousands of them at farm scale.
 *
 * A body is read by its Content-Length, by chunked transfer coding, or to close. A
 * reply is capped in size and every request is bounded by its deadline, connect
 * included, so a stalled web interface costs at most the timeout.
 */
import { startDeadline } from '../cgminer/_deadline.ts'
import type { HttpReply, HttpRequester } from './http_reply.ts'

export interface MinerHttpOptions {
  /** Deadline per request, connect included, in ms. */
  timeoutMs: number
  signal?: AbortSignal
  /** Largest reply accepted, head and body, in bytes (default 1 MiB). */
  maxReplyBytes?: number
}

/** The miner's answer is not HTTP this client can read, or is too large. */
export class HttpProtocolError extends Error {
  override readonly name = 'HttpProtocolError'
}

/** A kept-alive connection the miner had closed before it read the request. */
class StaleConnection extends Error {}

/** Interim (1xx) answers accepted before the real one. */
const MAX_INTERIM = 8

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const CR = 13
const LF = 10

/** Index of the first CRLF CRLF in `bytes[from, to)`, or -1. */
function headEnd(bytes: Uint8Array, from: number, to: number): number {
  for (let i = bytes.indexOf(LF, from + 3); i !== -1 && i < to; i = bytes.indexOf(LF, i + 1)) {
    if (bytes[i - 1] === CR && bytes[i - 2] === LF && bytes[i - 3] === CR) return i - 3
  }
  return -1
}

/** One miner's web interface: one connection, one request at a time. Dispose it to close the socket. */
export class MinerHttp implements HttpRequester, Disposable {
  readonly #hostname: string
  readonly #port: number
  readonly #options: MinerHttpOptions
  readonly #host: string
  #conn: Deno.TcpConn | null = null
  // Bytes read and not yet consumed: [#start, #end) of #buffer.
  #buffer = new Uint8Array(4096)
  #start = 0
  #end = 0
  // Bytes read for the reply being read, against the cap.
  #replyBytes = 0
  #answered = false

  constructor(hostname: string, port: number, options: MinerHttpOptions) {
    this.#hostname = hostname
    this.#port = port
    this.#options = options
    const host = hostname.includes(':') ? `[${hostname}]` : hostname
    this.#host = port === 80 ? host : `${host}:${port}`
  }

  get authority(): string {
    return this.#host
  }

  /** True once the miner has answered a request here: its web interface exists. */
  get answered(): boolean {
    return this.#answered
  }

  /**
   * Sends one request and reads its reply. A request on a kept-alive connection that
   * the miner had closed is sent once more on a fresh one, as browsers do, when the
   * miner cannot have acted on it: the write failed, or it was a GET.
   * @throws {DOMException} TimeoutError past the deadline, or the signal's reason
   * @throws {HttpProtocolError} when the reply is not readable HTTP or too large
   * @throws {Deno.errors.ConnectionRefused} and other connect errors as Deno gives them
   */
  async request(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<HttpReply> {
    const bytes = this.#encode(method, path, headers, body)
    using deadline = startDeadline(this.#options.timeoutMs, this.#options.signal)
    const { signal } = deadline
    // Closing the socket is the only way to interrupt a pending connect or read.
    const onAbort = () => this.close()
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      signal.throwIfAborted()
      try {
        return await this.#exchange(bytes, method, signal)
      } catch (error) {
        if (!(error instanceof StaleConnection)) throw error
        this.close()
        return await this.#exchange(bytes, method, signal)
      }
    } catch (error) {
      this.close()
      if (signal.aborted) throw signal.reason
      if (error instanceof StaleConnection) throw new HttpProtocolError('the miner closed the connection without answering')
      throw error
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  /** Closes the connection; the next request opens a new one. */
  close(): void {
    try {
      this.#conn?.close()
    } catch {
      // Already closed by the miner.
    }
    this.#conn = null
    this.#start = this.#end = 0
  }

  [Symbol.dispose](): void {
    this.close()
  }

  #encode(method: string, path: string, headers: Record<string, string>, body: string | undefined): Uint8Array {
    // A line break in any part would let a value write headers or requests of its own.
    if (/[\s]/.test(method) || /[\s]/.test(path)) throw new TypeError(`Cannot send ${JSON.stringify(method)} ${JSON.stringify(path)}: the method and path may not hold spaces or line breaks`)
    let head = `${method} ${path} HTTP/1.1\r\nHost: ${this.#host}\r\n`
    for (const [name, value] of Object.entries(headers)) {
      if (/[\r\n]/.test(name + value)) throw new TypeError(`Cannot send header ${name}: it contains a line break`)
      head += `${name}: ${value}\r\n`
    }
    const payload = body === undefined ? undefined : encoder.encode(body)
    // lighttpd answers a POST without a length with 411.
    if (payload || method === 'POST' || method === 'PUT') head += `Content-Length: ${payload?.length ?? 0}\r\n`
    const headBytes = encoder.encode(head + '\r\n')
    if (!payload) return headBytes
    const all = new Uint8Array(headBytes.length + payload.length)
    all.set(headBytes)
    all.set(payload, headBytes.length)
    return all
  }

  async #exchange(request: Uint8Array, method: string, signal: AbortSignal): Promise<HttpReply> {
    const reused = this.#conn !== null
    if (!this.#conn) {
      this.#conn = await Deno.connect({ hostname: this.#hostname, port: this.#port, signal })
      signal.throwIfAborted()
    }
    const conn = this.#conn
    try {
      let written = 0
      while (written < request.length) written += await conn.write(request.subarray(written))
    } catch (error) {
      // The miner had closed the connection: it cannot have read the request.
      if (reused && !signal.aborted && (error instanceof Deno.errors.BrokenPipe || error instanceof Deno.errors.ConnectionReset)) throw new StaleConnection()
      throw error
    }
    // Everything read for this reply counts against the cap: heads, interim answers,
    // chunk sizes and trailers as well as the body.
    this.#replyBytes = this.#end - this.#start
    // A close before any answer may also mean the miner ran the request and then
    // failed: only a request that changes nothing may be sent again then.
    const mayResend = reused && (method === 'GET' || method === 'HEAD')
    for (let interim = 0; ; interim++) {
      const { status, version, headers } = await this.#readHead(signal, mayResend && interim === 0)
      // 1xx interim answers (100 Continue, 103 Early Hints) precede the real one.
      if (status >= 100 && status < 200 && status !== 101) {
        if (interim >= MAX_INTERIM) throw new HttpProtocolError(`the miner sent more than ${MAX_INTERIM} interim answers`)
        continue
      }
      const connection = (headers.get('connection') ?? []).join(',').toLowerCase()
      let keepAlive = version === 1 ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection)
      let body: Uint8Array
      const coding = headers.get('transfer-encoding')
      const lengths = headers.get('content-length')?.flatMap((l) => l.split(',')).map((l) => l.trim())
      if (method === 'HEAD' || status === 204 || status === 304) {
        body = new Uint8Array(0)
      } else if (coding) {
        // RFC 9112 6.3: chunked last is read by chunks; any other coding to the close.
        if (/(^|,)\s*chunked\s*$/i.test(coding.join(','))) body = await this.#readChunked(signal)
        else {
          body = await this.#readToClose(signal)
          keepAlive = false
        }
      } else if (lengths) {
        const n = Number(lengths[0])
        if (!lengths.every((l) => /^\d+$/.test(l) && Number(l) === n)) throw new HttpProtocolError(`the reply's Content-Length ${lengths.join(', ')} is not one number`)
        if (n > this.#maxBytes) throw new HttpProtocolError(`the reply exceeds ${this.#maxBytes} bytes`)
        body = await this.#take(n, signal)
      } else {
        body = await this.#readToClose(signal)
        keepAlive = false
      }
      this.#answered = true
      if (!keepAlive) this.close()
      return { status, headers, body: decoder.decode(body) }
    }
  }

  get #maxBytes(): number {
    return this.#options.maxReplyBytes ?? 1 << 20
  }

  /** Reads more bytes into the buffer; false at end of stream. */
  async #fill(signal: AbortSignal): Promise<boolean> {
    if (this.#start === this.#end) this.#start = this.#end = 0
    if (this.#end === this.#buffer.length) {
      if (this.#start > 0) {
        this.#buffer.copyWithin(0, this.#start, this.#end)
        this.#end -= this.#start
        this.#start = 0
      } else {
        const grown = new Uint8Array(this.#buffer.length * 2)
        grown.set(this.#buffer)
        this.#buffer = grown
      }
    }
    const conn = this.#conn
    if (!conn) throw signal.reason ?? new HttpProtocolError('the connection is closed')
    const n = await conn.read(this.#buffer.subarray(this.#end))
    signal.throwIfAborted()
    if (n === null) return false
    this.#end += n
    this.#replyBytes += n
    if (this.#replyBytes > this.#maxBytes) throw new HttpProtocolError(`the reply exceeds ${this.#maxBytes} bytes`)
    return true
  }

  async #readHead(signal: AbortSignal, mayBeStale: boolean): Promise<{ status: number; version: number; headers: Map<string, string[]> }> {
    let end: number
    // Where the search stopped, from #start (which a fill may move): a reply trickling
    // in is searched once, not again from its start at every read.
    let searched = 0
    while ((end = headEnd(this.#buffer, this.#start + Math.max(0, searched - 3), this.#end)) === -1) {
      searched = this.#end - this.#start
      let more: boolean
      try {
        more = await this.#fill(signal)
      } catch (error) {
        if (mayBeStale && this.#end === this.#start && error instanceof Deno.errors.ConnectionReset && !signal.aborted) throw new StaleConnection()
        throw error
      }
      if (!more) {
        if (mayBeStale && this.#end === this.#start) throw new StaleConnection()
        throw new HttpProtocolError(this.#end === this.#start ? 'the miner closed the connection without answering' : 'the reply ends inside its header')
      }
    }
    const text = decoder.decode(this.#buffer.subarray(this.#start, end))
    this.#start = end + 4
    const lines = text.split('\r\n')
    const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0]!)
    if (!statusLine) throw new HttpProtocolError(`the reply does not start with an HTTP/1 status line: ${JSON.stringify(lines[0]!.slice(0, 40))}`)
    const headers = new Map<string, string[]>()
    let last: string[] | undefined
    for (const line of lines.slice(1)) {
      // Obsolete line folding continues the previous header's value.
      if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
        last[last.length - 1] += ` ${line.trim()}`
        continue
      }
      const field = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):(.*)$/.exec(line)
      if (!field) throw new HttpProtocolError(`the reply has a malformed header line: ${JSON.stringify(line.slice(0, 40))}`)
      const name = field[1]!.toLowerCase()
      last = headers.get(name)
      if (!last) headers.set(name, last = [])
      last.push(field[2]!.trim())
    }
    return { status: Number(statusLine[2]), version: Number(statusLine[1]), headers }
  }

  /** The next `n` bytes, reading as needed. */
  async #take(n: number, signal: AbortSignal): Promise<Uint8Array> {
    while (this.#end - this.#start < n) {
      if (!await this.#fill(signal)) throw new HttpProtocolError('the reply ends before its body does')
    }
    const bytes = this.#buffer.slice(this.#start, this.#start + n)
    this.#start += n
    return bytes
  }

  /** One CRLF-terminated line (without it), reading as needed. */
  async #line(signal: AbortSignal): Promise<string> {
    let searched = 0
    while (true) {
      const lf = this.#buffer.subarray(this.#start + searched, this.#end).indexOf(LF)
      if (lf !== -1) {
        const line = decoder.decode(this.#buffer.subarray(this.#start, this.#start + searched + lf)).replace(/\r$/, '')
        this.#start += searched + lf + 1
        return line
      }
      searched = this.#end - this.#start
      if (!await this.#fill(signal)) throw new HttpProtocolError('the reply ends inside a chunk')
    }
  }

  async #readChunked(signal: AbortSignal): Promise<Uint8Array> {
    // One growing buffer: a chunk each (a hostile reply can send a million) would cost
    // a buffer each.
    let body = new Uint8Array(1024)
    let total = 0
    while (true) {
      const sizeLine = await this.#line(signal)
      const size = /^[0-9a-f]{1,8}(?=\s*(;|$))/i.exec(sizeLine.trim())
      if (!size) throw new HttpProtocolError(`the reply has a malformed chunk size: ${JSON.stringify(sizeLine.slice(0, 20))}`)
      const n = parseInt(size[0], 16)
      if (n === 0) break
      if (total + n > this.#maxBytes) throw new HttpProtocolError(`the reply exceeds ${this.#maxBytes} bytes`)
      while (this.#end - this.#start < n) {
        if (!await this.#fill(signal)) throw new HttpProtocolError('the reply ends inside a chunk')
      }
      if (total + n > body.length) {
        const grown = new Uint8Array(Math.max(body.length * 2, total + n))
        grown.set(body.subarray(0, total))
        body = grown
      }
      body.set(this.#buffer.subarray(this.#start, this.#start + n), total)
      this.#start += n
      total += n
      if (await this.#line(signal) !== '') throw new HttpProtocolError('a chunk of the reply is longer than its size says')
    }
    // Trailer fields, if any, end with an empty line; none is needed.
    while (await this.#line(signal) !== '');
    return body.subarray(0, total)
  }

  async #readToClose(signal: AbortSignal): Promise<Uint8Array> {
    while (await this.#fill(signal));
    const bytes = this.#buffer.slice(this.#start, this.#end)
    this.#start = this.#end
    return bytes
  }
}
