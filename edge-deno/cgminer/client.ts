/**
 * The cgminer API client over TCP: the only file under `cgminer/` that does I/O.
 *
 * One request per connection, written in one write (cgminer refuses a request split
 * across writes); the reply is read to its NUL or to close, whichever comes first
 * (some miners keep the socket open after the NUL). Connect and read are bounded, so
 * a stalled miner, which also blocks every other client of that miner, costs at most
 * the timeout.
 */
import { after } from './_deadline.ts'
import { onAbort } from './_on_abort.ts'
import { type MinerAddress, formatAddress } from './address.ts'
import { type CommandReply, decodeReply, encodeRequest, splitMultiReply } from './protocol.ts'
import { isErrorStatus } from './status.ts'

/** Why talking to a miner failed; `kind` lets callers count failures by cause. */
export type MinerErrorKind = 'refused' | 'unreachable' | 'timeout' | 'reset' | 'closed' | 'too-large' | 'invalid'

/** A failed exchange with a miner. Callers catch it to report the miner offline. */
export class MinerError extends Error {
  override name = 'MinerError'
  constructor(readonly kind: MinerErrorKind, message: string, options?: ErrorOptions) {
    super(message, options)
  }
}

/** Limits for one exchange. */
export interface RequestOptions {
  /** Connect deadline in ms (default 2000). */
  connectTimeoutMs?: number
  /** Deadline for the whole exchange after connecting, in ms (default 5000). */
  timeoutMs?: number
  /** Largest reply accepted, in bytes (default 1 MiB). */
  maxReplyBytes?: number
  /** Aborts the exchange, e.g. when the collector stops. */
  signal?: AbortSignal
}

const DEFAULTS = { connectTimeoutMs: 2000, timeoutMs: 5000, maxReplyBytes: 1 << 20 }

function classify(error: unknown, action: string, where: string, timeoutMs: number): MinerError {
  if (error instanceof MinerError) return error
  const reason = error instanceof Error ? error.message : String(error)
  if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    const why = error.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : 'aborted'
    return new MinerError('timeout', `Cannot ${action} ${where}: ${why}`, { cause: error })
  }
  if (error instanceof Deno.errors.TimedOut) return new MinerError('timeout', `Cannot ${action} ${where}: ${reason}`)
  if (error instanceof Deno.errors.ConnectionRefused) return new MinerError('refused', `Cannot ${action} ${where}: connection refused`)
  if (error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe) {
    return new MinerError('reset', `Cannot ${action} ${where}: connection reset`, { cause: error })
  }
  return new MinerError('unreachable', `Cannot ${action} ${where}: ${reason}`, { cause: error })
}

// Read buffers are reused across exchanges: at thousands of miners per cycle a fresh
// buffer per reply is the bulk of the collector's memory churn.
const SCRATCH_BYTES = 65_536
const scratch: Uint8Array[] = []

// The reply is decoded straight out of the pooled buffer: a copy of its bytes per miner
// was an allocation the text needs no more once decoded.
const decoder = new TextDecoder()

async function readToNul(conn: Deno.Conn, maxBytes: number, signal: AbortSignal): Promise<string> {
  const pooled = scratch.pop() ?? new Uint8Array(SCRATCH_BYTES)
  let buffer = pooled
  let length = 0
  try {
    while (true) {
      if (length === buffer.length) {
        const grown = new Uint8Array(Math.min(buffer.length * 2, maxBytes + 1))
        grown.set(buffer)
        buffer = grown
      }
      const n = await conn.read(buffer.subarray(length))
      signal.throwIfAborted()
      if (n === null && length === 0) throw new MinerError('closed', 'the miner closed the connection without replying')
      if (n === null) return decoder.decode(buffer.subarray(0, length))
      length += n
      // cgminer ends its reply with the NUL, so it is mostly the chunk's last byte:
      // then the decoded text is searched for an earlier one. A string's indexOf is
      // native; a byte array's took about 4 µs per 5 kB reply, five times as long.
      if (buffer[length - 1] === 0) {
        const text = decoder.decode(buffer.subarray(0, length - 1))
        const early = text.indexOf('\0')
        return early === -1 ? text : text.slice(0, early)
      }
      const nul = buffer.subarray(length - n, length).indexOf(0)
      if (nul !== -1) return decoder.decode(buffer.subarray(0, length - n + nul))
      if (length > maxBytes) throw new MinerError('too-large', `reply exceeds ${maxBytes} bytes`)
    }
  } finally {
    scratch.push(pooled)
  }
}

const timedOut = () => new DOMException('Signal timed out.', 'TimeoutError')

/**
 * Sends one command on its own connection and returns the reply text (up to its NUL).
 * @throws {MinerError} refused, unreachable, timeout, reset or too-large
 */
export async function exchange(address: MinerAddress, request: Uint8Array, options: RequestOptions = {}): Promise<string> {
  const { connectTimeoutMs, timeoutMs, maxReplyBytes } = { ...DEFAULTS, ...options }
  const where = formatAddress(address)
  const outer = options.signal
  // One controller serves the whole exchange, its deadline moved from the connect's to
  // the read's: at thousands of miners per cycle a second controller and its listeners
  // were a measurable share of the poller's CPU.
  const controller = new AbortController()
  const { signal } = controller
  let conn: Deno.TcpConn | undefined
  const abort = (reason: unknown) => {
    controller.abort(reason)
    // Closing the socket is the only way to interrupt a pending read.
    conn?.close()
  }
  let alarm = after(connectTimeoutMs, () => abort(timedOut()))
  const onOuter = () => abort(outer!.reason)
  let stopWaiting: (() => void) | undefined
  if (outer?.aborted) onOuter()
  else if (outer) stopWaiting = onAbort(outer, onOuter)
  try {
    try {
      conn = await Deno.connect({ hostname: address.hostname, port: address.port, signal })
    } catch (error) {
      throw classify(error, 'connect to', where, connectTimeoutMs)
    }
    using _conn = conn
    alarm.cancel()
    alarm = after(timeoutMs, () => abort(timedOut()))
    try {
      // Aborted between the connect and here: the close above found no socket yet.
      signal.throwIfAborted()
      let written = 0
      while (written < request.length) written += await conn.write(request.subarray(written))
      return await readToNul(conn, maxReplyBytes, signal)
    } catch (error) {
      if (error instanceof MinerError) throw new MinerError(error.kind, `Cannot read reply from ${where}: ${error.message}`)
      throw classify(signal.aborted ? signal.reason : error, 'read reply from', where, timeoutMs)
    }
  } finally {
    alarm.cancel()
    stopWaiting?.()
  }
}

/** Client options: the per-exchange limits. */
export type ClientOptions = RequestOptions

/**
 * Talks cgminer to many miners, remembering which ones reject the `a+b`
 * multi-command form so they are asked one command per connection from then on.
 * @example
 * const client = new CgminerClient({ timeoutMs: 3000 })
 * const replies = await client.commands(parseAddress('127.1.0.1'), ['summary', 'pools'])
 */
export class CgminerClient {
  readonly #options: RequestOptions
  readonly #noMulti = new Set<string>()

  constructor(options: ClientOptions = {}) {
    this.#options = options
  }

  /**
   * Sends one command; a reply with status E/F is returned, not thrown, so that
   * states such as "No ASCs" can be reported.
   * @throws {MinerError} when the miner cannot be reached or its reply is unreadable
   */
  async command(address: MinerAddress, command: string, parameter?: string, signal?: AbortSignal): Promise<CommandReply> {
    const options = signal ? { ...this.#options, signal: this.#mergeSignal(signal) } : this.#options
    const text = await exchange(address, encodeRequest(command, parameter), options)
    try {
      return decodeReply(command, text)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new MinerError('invalid', `Cannot read reply from ${formatAddress(address)}: ${reason}`)
    }
  }

  /**
   * Sends several commands: first as one `a+b+c` request, then, if the miner rejects
   * that form, one command per connection in parallel. Remembers the rejection.
   */
  async commands(address: MinerAddress, commands: readonly string[], signal?: AbortSignal): Promise<Map<string, CommandReply>> {
    const key = formatAddress(address)
    if (commands.length > 1 && !this.#noMulti.has(key)) {
      const reply = await this.command(address, commands.join('+'), undefined, signal)
      const parts = splitMultiReply(commands, reply)
      if (parts) return parts
      if (!isErrorStatus(reply.status)) {
        throw new MinerError('invalid', `Cannot read reply from ${key}: the multi-command reply has no '${commands[0]}' section`)
      }
      this.#noMulti.add(key)
    }
    const replies = await Promise.all(commands.map((command) => this.command(address, command, undefined, signal)))
    return new Map(replies.map((reply) => [reply.command, reply]))
  }

  /** True once the miner has rejected the multi-command form. */
  rejectsMultiCommand(address: MinerAddress): boolean {
    return this.#noMulti.has(formatAddress(address))
  }

  #mergeSignal(signal: AbortSignal): AbortSignal {
    // The command runner passes the client's own signal again: merging it with itself
    // would make a dependent signal per exchange for nothing.
    return this.#options.signal && this.#options.signal !== signal ? AbortSignal.any([this.#options.signal, signal]) : signal
  }
}
