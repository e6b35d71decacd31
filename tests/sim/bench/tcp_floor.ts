/**
 * Benchmark child: the loopback TCP work a set_pools to the simulated miners cannot do
 * without, with no protocol on either side. Loopback only.
 *   deno run -A tests/sim/bench/tcp_floor.ts server <base> <count>
 *   deno run -A tests/sim/bench/tcp_floor.ts client <base> <count> <one-shot-port> <keep-alive-port> <rounds>
 * The server listens on every address twice: on one port it answers one read with a
 * short reply and closes, as cgminer does; on the other it answers every read until the
 * client closes, as a web server keeps a connection alive. The client makes, per round,
 * the connections and exchanges of one pool replacing three: five one-shot connections
 * per cgminer-API miner (addpool, switchpool, three removepools), one kept-alive
 * connection with three exchanges per Antminer (challenge, read, write), none for a
 * Whatsminer, at 256 miners at once as the edge. It prints `READY {…}` (server) or
 * `RESULT {"rounds":[{ms,cpuMs},…]}` (client).
 */
import { loopbackRange } from '../addresses.ts'
import { VENDORS } from '../profiles.ts'
import { cpuMs } from '../../bench/cpu.ts'

const [role, base, countText, ...rest] = Deno.args
const hosts = loopbackRange(base, Number(countText))
// A reply as long as the simulator's to addpool.
const REPLY = new TextEncoder().encode(`{"STATUS":[{"STATUS":"S","When":1700000000,"Code":55,"Msg":"Added pool 3: 'stratum+tcp://bench-pool.example:3333'","Description":"cgminer 4.11.1"}],"id":1}\0`)
const REQUEST = new TextEncoder().encode('{"command":"addpool","parameter":"stratum+tcp://bench-pool.example:3333,bench.worker,bench-pool-pw"}')

async function answer(conn: Deno.Conn, keepAlive: boolean): Promise<void> {
  const buffer = new Uint8Array(4096)
  try {
    while ((await conn.read(buffer)) !== null) {
      await conn.write(REPLY)
      if (!keepAlive) break
    }
  } catch {
    // The client went away.
  } finally {
    conn.close()
  }
}

function listen(hostname: string, port: number, keepAlive: boolean): number {
  const listener = Deno.listen({ hostname, port })
  ;(async () => {
    for await (const conn of listener) answer(conn, keepAlive)
  })()
  return listener.addr.port
}

async function exchange(conn: Deno.Conn, buffer: Uint8Array): Promise<void> {
  await conn.write(REQUEST)
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) if (buffer[n - 1] === 0) return
  throw new Error('the server closed the connection without replying')
}

if (role === 'server') {
  let oneShot = 0
  let keepAlive = 0
  for (const host of hosts) {
    oneShot = listen(host, oneShot, false)
    keepAlive = listen(host, keepAlive, true)
  }
  console.log(`READY ${JSON.stringify({ oneShot, keepAlive })}`)
} else if (role === 'client') {
  const [oneShotPort, keepAlivePort, roundsText] = rest.map(Number)
  const rounds: { ms: number; cpuMs: number }[] = []
  for (let round = 0; round < roundsText; round++) {
    // The five-connection miners first, as the command runner orders them (longestFirst).
    const queue = hosts.map((hostname, i) => ({ hostname, vendor: VENDORS[i % VENDORS.length]! }))
      .filter((m) => m.vendor !== 'whatsminer-v2').sort((a, b) => Number(a.vendor.startsWith('antminer')) - Number(b.vendor.startsWith('antminer')))
    const started = performance.now()
    const cpuBefore = cpuMs(Deno.pid)
    await Promise.all(Array.from({ length: 256 }, async () => {
      const buffer = new Uint8Array(4096)
      for (let miner = queue.shift(); miner; miner = queue.shift()) {
        if (miner.vendor.startsWith('antminer')) {
          using conn = await Deno.connect({ hostname: miner.hostname, port: keepAlivePort })
          for (let i = 0; i < 3; i++) await exchange(conn, buffer)
        } else {
          for (let i = 0; i < 5; i++) {
            using conn = await Deno.connect({ hostname: miner.hostname, port: oneShotPort })
            await exchange(conn, buffer)
          }
        }
      }
    }))
    rounds.push({ ms: Math.round(performance.now() - started), cpuMs: cpuMs(Deno.pid) - cpuBefore })
  }
  console.log(`RESULT ${JSON.stringify({ rounds })}`)
} else {
  throw new TypeError(`Cannot run: role is server or client, not ${role}`)
}
