/**
 * A cgminer API simulator serving many miners on loopback addresses (127.0.0.0/8
 * only), with the real framing: one request per connection read in one `read()`
 * (a request split across writes is refused, as cgminer does), one reply ending in
 * one NUL, then close. Miners vary by vendor shape and seed, and can carry faults.
 *
 * @example
 * await using sim = await startSimulator({ miners: 3, baseAddress: '127.1.0.1', port: 0 })
 * sim.addresses // ['127.1.0.1:40123', '127.1.0.2:40123', '127.1.0.3:40123']
 */
import net from 'node:net'
import { assertLoopback, loopbackRange } from './addresses.ts'
import { DESCRIPTIONS, errorReply, RENDERERS, type Vendor, VENDORS } from './profiles.ts'
import { variation } from './vary.ts'
import { fixturePools, MinerControl, type SimPool } from './control_state.ts'
import { privilegedReply } from './privileged.ts'
import { webHandler } from './web_interface.ts'

/** Misbehaviours a simulated miner can have. */
export interface MinerFaults {
  /** Wait this long before answering. */
  delayMs?: number
  /** Reset the connection (RST) instead of answering. */
  reset?: boolean
  /** Answer bytes that are not JSON. */
  garbage?: boolean
  /** Accept, read, and never answer. */
  silent?: boolean
  /** Keep the socket open after the NUL until the client closes it. */
  keepOpen?: boolean
  /** Refuse the `a+b` multi-command form with STATUS E code 14. */
  rejectMulti?: boolean
  /** Have no devices: `devs` answers STATUS E code 10 "No ASCs". */
  noDevices?: boolean
  /** Pad every reply to at least this many bytes (for reply size caps). */
  hugeReplyBytes?: number
  /** Send the reply in small pieces with pauses between them. */
  trickle?: boolean
}

/** One simulated miner's set-up. */
export interface MinerSpec {
  vendor?: Vendor
  faults?: MinerFaults
}

export interface SimulatorOptions {
  /** How many miners, or one spec per miner. */
  miners: number | MinerSpec[]
  /** First address (default 127.1.0.1); the rest follow, skipping x.x.x.0 and .255. */
  baseAddress?: string
  /** Port every miner listens on (default 4028); 0 picks one free port shared by all. */
  port?: number
  /** Faults by miner index, merged over the specs. */
  faults?: Record<number, MinerFaults>
  /** Seed of the numbers (default 1). */
  seed?: number
  /** Apply the vendors' JSON quirks on the wire (default true). */
  dirty?: boolean
  /** How often the numbers change, in ms (default 5000). */
  refreshMs?: number
  /**
   * Serve an Antminer-like web interface (Digest auth) on every Antminer-shaped
   * miner's address, on `port` (0 or absent: one free port shared by all).
   */
  web?: { port?: number }
  /** The web login of miners by index (default root/root). */
  logins?: Record<number, { user: string; password: string }>
}

export interface Simulator extends AsyncDisposable {
  /** `host:port` of every miner, in index order. */
  readonly addresses: string[]
  readonly port: number
  /** The vendor shape of every miner, in index order. */
  readonly vendors: Vendor[]
  /** Connections accepted so far. */
  readonly connections: () => number
  /** What remote control changed on every miner, in index order (tests read and set it). */
  readonly controls: MinerControl[]
  /** Port of the web interfaces, or null when `web` was not asked for. */
  readonly webPort: number | null
  close(): Promise<void>
}

interface Miner {
  index: number
  vendor: Vendor
  faults: MinerFaults
  cache: Map<string, { epoch: number; bytes: Uint8Array }>
  control: MinerControl
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}

/**
 * Starts the simulator. Every address is checked to be in 127.0.0.0/8 before binding.
 * @throws {RangeError} "Cannot bind simulated miner to <address>: only 127.0.0.0/8 is allowed"
 */
export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const specs = typeof options.miners === 'number' ? Array.from({ length: options.miners }, () => ({})) : options.miners
  const hosts = loopbackRange(options.baseAddress ?? '127.1.0.1', specs.length)
  hosts.forEach(assertLoopback)
  const seed = options.seed ?? 1
  const dirty = options.dirty ?? true
  const refreshMs = options.refreshMs ?? 5000
  const started = Date.now()
  const stop = new AbortController()
  const open = new Set<Deno.Conn>()
  const listeners: Deno.TcpListener[] = []
  const loops: Promise<void>[] = []
  let accepted = 0

  const miners: Miner[] = specs.map((spec: MinerSpec, index) => {
    const vendor = spec.vendor ?? VENDORS[index % VENDORS.length]
    const cache = new Map()
    return {
      index, vendor, cache, faults: { ...spec.faults, ...options.faults?.[index] },
      // A command's effect must show in the very next reply, not after the refresh period.
      control: new MinerControl(vendor, options.logins?.[index], () => cache.clear()),
    }
  })
  // Only share counts vary between miners of a vendor, so its starting pools are read
  // once: rendering a pools reply per miner was a seventh of the simulator's work in a
  // thousand-miner set_pools.
  const startingPools = new Map<Vendor, SimPool[]>()
  const poolsOf = (miner: Miner) => () => {
    let pools = startingPools.get(miner.vendor)
    if (!pools) startingPools.set(miner.vendor, pools = fixturePools(RENDERERS[miner.vendor]('pools', variation(seed, 0, 0, 0), false) ?? '{}'))
    return pools
  }

  function render(miner: Miner, command: string): Uint8Array {
    const epoch = Math.floor((Date.now() - started) / refreshMs)
    const cached = miner.cache.get(command)
    if (cached && cached.epoch === epoch) return cached.bytes
    const v = variation(seed, miner.index, epoch, (epoch * refreshMs) / 1000)
    const description = DESCRIPTIONS[miner.vendor]
    const one = (name: string): string => {
      if (name === 'devs' && miner.faults.noDevices) return errorReply(10, 'No ASCs', description, v.now)
      // A miner changed by a command is served clean JSON patched from its state.
      const touched = miner.control.touched
      const text = RENDERERS[miner.vendor](name, v, dirty && !touched)
      if (text === null) return errorReply(14, 'Invalid command', description, v.now)
      return touched ? miner.control.patch(name, text) : text
    }
    const names = command.split('+')
    let text: string
    if (names.length === 1) text = one(command)
    else if (miner.faults.rejectMulti) text = errorReply(14, 'Invalid command', description, v.now)
    else text = `{${names.map((name) => `"${name}":[${one(name)}]`).join(',')},"id":1}`
    if (miner.faults.hugeReplyBytes) text = text.replace('{', `{"padding":"${'x'.repeat(miner.faults.hugeReplyBytes)}",`)
    const bytes = encoder.encode(text + '\0')
    miner.cache.set(command, { epoch, bytes })
    return bytes
  }

  async function writeAll(conn: Deno.Conn, bytes: Uint8Array, trickle: boolean): Promise<void> {
    const step = trickle ? 7 : bytes.length
    for (let at = 0; at < bytes.length;) {
      at += await conn.write(bytes.subarray(at, Math.min(at + step, bytes.length)))
      if (trickle) await sleep(2, stop.signal)
    }
  }

  async function drain(conn: Deno.Conn): Promise<void> {
    const sink = new Uint8Array(1024)
    while ((await conn.read(sink)) !== null);
  }

  async function serve(conn: Deno.Conn, miner: Miner): Promise<void> {
    const { faults } = miner
    const buffer = new Uint8Array(8192)
    const n = await conn.read(buffer)
    if (n === null) return
    if (faults.silent) return await drain(conn)
    if (faults.delayMs) await sleep(faults.delayMs, stop.signal)
    if (faults.garbage) return await writeAll(conn, encoder.encode('\x8fHTTP/1.0 400 <html>garbage\0'), false)
    let command: string | undefined
    let parameter: string | undefined
    try {
      const request = JSON.parse(decoder.decode(buffer.subarray(0, n)))
      if (typeof request.command === 'string') command = request.command
      if (typeof request.parameter === 'string') parameter = request.parameter
    } catch {
      // cgminer answers a partial or non-JSON request with an error and closes.
    }
    const now = Math.floor(Date.now() / 1000)
    const privileged = command === undefined ? null : privilegedReply(miner.control, command, parameter, DESCRIPTIONS[miner.vendor], now, poolsOf(miner))
    const bytes = command === undefined
      ? encoder.encode(errorReply(23, 'Invalid JSON', DESCRIPTIONS[miner.vendor], now) + '\0')
      : privileged !== null ? encoder.encode(privileged + '\0') : render(miner, command)
    await writeAll(conn, bytes, faults.trickle ?? false)
    if (faults.keepOpen) await drain(conn)
  }

  async function handle(conn: Deno.Conn, miner: Miner): Promise<void> {
    open.add(conn)
    try {
      await serve(conn, miner)
    } catch {
      // The client went away (reset, timeout): nothing to answer.
    } finally {
      open.delete(conn)
      try {
        conn.close()
      } catch {
        // already closed by close()
      }
    }
  }

  async function acceptLoop(listener: Deno.TcpListener, miner: Miner): Promise<void> {
    try {
      for await (const conn of listener) {
        accepted++
        handle(conn, miner)
      }
    } catch {
      // The listener was closed.
    }
  }

  // Deno has no SO_LINGER, so a miner that resets connections is a node:net server.
  const resetters: net.Server[] = []
  async function listenResetting(hostname: string, at: number): Promise<number> {
    const server = net.createServer((socket) => {
      accepted++
      socket.once('data', () => socket.resetAndDestroy())
      socket.on('error', () => {})
    })
    resetters.push(server)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(at, hostname, () => resolve())
    })
    return (server.address() as net.AddressInfo).port
  }

  const webServers: Deno.HttpServer<Deno.NetAddr>[] = []
  let webPort: number | null = null
  let port = options.port ?? 4028
  try {
    for (const [index, hostname] of hosts.entries()) {
      if (miners[index].faults.reset) {
        port = await listenResetting(hostname, port)
        continue
      }
      const listener = Deno.listen({ hostname, port })
      if (port === 0) port = listener.addr.port
      listeners.push(listener)
      loops.push(acceptLoop(listener, miners[index]))
    }
    if (options.web) {
      let at = options.web.port ?? 0
      for (const [index, hostname] of hosts.entries()) {
        const miner = miners[index]
        if (!miner.vendor.startsWith('antminer')) continue
        const server: Deno.HttpServer<Deno.NetAddr> = Deno.serve({ hostname, port: at, onListen: () => {} }, webHandler(miner.control, poolsOf(miner)))
        at = server.addr.port
        webServers.push(server)
      }
      webPort = at
    }
  } catch (error) {
    await Promise.all(webServers.map((server) => server.shutdown()))
    await closeResetters()
    for (const listener of listeners) listener.close()
    await Promise.all(loops)
    const reason = error instanceof Error ? error.message : String(error)
    throw new Error(`Cannot start simulator on ${hosts[listeners.length + resetters.length - 1] ?? hosts[0]}:${port}: ${reason}`, { cause: error })
  }

  async function closeResetters(): Promise<void> {
    await Promise.all(resetters.map((server) => new Promise((resolve) => server.close(resolve))))
  }

  let closing: Promise<void> | undefined
  const close = () => (closing ??= shutDown())

  async function shutDown(): Promise<void> {
    stop.abort()
    await Promise.all(webServers.map((server) => server.shutdown()))
    await closeResetters()
    for (const listener of listeners) listener.close()
    for (const conn of open) {
      try {
        conn.close()
      } catch {
        // closed meanwhile
      }
    }
    await Promise.all(loops)
    // Let the handlers notice their closed sockets before the caller checks for leaks.
    while (open.size > 0) await new Promise((resolve) => setTimeout(resolve, 1))
  }

  return {
    addresses: hosts.map((host) => `${host}:${port}`),
    port,
    vendors: miners.map((m) => m.vendor),
    connections: () => accepted,
    controls: miners.map((m) => m.control),
    webPort,
    close,
    [Symbol.asyncDispose]: close,
  }
}
