/**
 * Benchmark child: set_pools over simulated miners without the API, printing
 * `RESULT {"rounds":[{ms,ok,cpuMs},…]}`. Loopback only.
 *   deno run -A tests/sim/bench/command_fanout.ts <edge|bare> <base> <count> <port> <web-port> <pools,…> [polls]
 * - edge: the edge's own per-miner code (`runOnMiner`, fanned out as the command runner does);
 * - bare: the same exchanges with the least code a client can have (no deadlines, no
 *   abort, no checks beyond what the next step needs): the floor under any edge.
 * One round per pool count listed, setting that many pools; the simulator deals its vendor shapes in turn from its
 * first miner, which `base` must be. First, `polls` poll cycles of every miner with the edge's
 * poller on this thread (default 0), as a running edge has polled before a command comes: the
 * code the two share (the cgminer client, its deadlines, the reply parser) is then compiled.
 *
 * The control bench runs it before the measured command, so that the simulator's
 * command handlers are compiled and its miners' command state made, as a real miner's
 * firmware (native code) has them; in its own process, so the edge under test stays
 * cold. After the measured command it runs both modes once, to split the time.
 */
import { createHash } from 'node:crypto'
import { loopbackRange } from '../addresses.ts'
import { VENDORS } from '../profiles.ts'
import { REALM } from '../digest_auth.ts'
import type { Command } from '../../../e2ee/mod.ts'
import { CgminerClient } from '../../../edge-deno/cgminer/client.ts'
import type { Vendor } from '../../../edge-deno/cgminer/identify.ts'
import { runOnMiner } from '../../../edge-deno/control/run_on_miner.ts'
import { longestFirst } from '../../../edge-deno/control/runner.ts'
import { pollCycle } from '../../../edge-deno/poller.ts'
import { cpuMs } from '../../bench/cpu.ts'

const [mode, base, countText, portText, webPortText, poolCounts = '1', polls = '0'] = Deno.args
if (mode !== 'edge' && mode !== 'bare') throw new TypeError(`Cannot run: mode is edge or bare, not ${mode}`)
const port = Number(portText)
const webPort = Number(webPortText)
const targets = loopbackRange(base, Number(countText)).map((hostname, i) => ({
  id: String(i), name: `m${i}`, address: { hostname, port }, credentials: { username: 'root', password: 'root' },
}))
const FAMILY: Record<string, Vendor> = { 'antminer-s19': 'antminer', 'antminer-s21': 'antminer', 'whatsminer-v2': 'whatsminer', luxos: 'luxos', 'avalon-1566': 'avalon' }
const vendorOf = (id: string): Vendor => FAMILY[VENDORS[Number(id) % VENDORS.length]!]!
const client = new CgminerClient({ timeoutMs: 5000 })

type Pools = Command<'set_pools'>['params']['pools']
const encoder = new TextEncoder()
const decoder = new TextDecoder()
const md5 = (text: string) => createHash('md5').update(text).digest('hex')

async function bareCgminer(hostname: string, command: string, parameter: string): Promise<string> {
  using conn = await Deno.connect({ hostname, port })
  await conn.write(encoder.encode(JSON.stringify({ command, parameter })))
  const buffer = new Uint8Array(8192)
  let n = 0
  for (let r = await conn.read(buffer); r !== null; r = await conn.read(buffer.subarray(n))) if (buffer[(n += r) - 1] === 0) break
  return decoder.decode(buffer.subarray(0, n))
}

/** addpool each, switchpool to the first new, removepool the old from the highest. */
async function bareOverCgminer(hostname: string, pools: Pools): Promise<boolean> {
  let old = -1
  for (const p of pools) {
    const added = /Added pool (\d+)/.exec(await bareCgminer(hostname, 'addpool', `${p.url},${p.user},${p.password}`))
    if (old === -1) old = Number(added?.[1] ?? NaN)
  }
  await bareCgminer(hostname, 'switchpool', String(old))
  for (let i = old - 1; i >= 0; i--) await bareCgminer(hostname, 'removepool', String(i))
  return Number.isInteger(old)
}

/** The challenge, the configuration read, the configuration written: on one connection. */
async function bareOverWeb(hostname: string, pools: Pools): Promise<boolean> {
  using conn = await Deno.connect({ hostname, port: webPort })
  const buffer = new Uint8Array(16_384)
  let start = 0
  let end = 0
  const send = async (method: string, path: string, headers: string, body = '') => {
    await conn.write(encoder.encode(`${method} ${path} HTTP/1.1\r\nHost: ${hostname}\r\n${headers}Content-Length: ${body.length}\r\n\r\n${body}`))
    while (true) {
      const text = decoder.decode(buffer.subarray(start, end))
      const head = text.indexOf('\r\n\r\n')
      const length = Number(/content-length: *(\d+)/i.exec(text.slice(0, head))?.[1] ?? NaN)
      if (head !== -1 && end - start >= head + 4 + length) {
        start += head + 4 + length
        return { head: text.slice(0, head), body: text.slice(head + 4, head + 4 + length) }
      }
      const n = await conn.read(buffer.subarray(end))
      if (n === null) throw new Error('the web interface closed the connection')
      end += n
    }
  }
  const read = '/cgi-bin/get_miner_conf.cgi'
  const write = '/cgi-bin/set_miner_conf.cgi'
  const nonce = /nonce="([^"]+)"/.exec((await send('GET', read, '')).head)?.[1]
  const ha1 = md5(`root:${REALM}:root`)
  const authorization = (method: string, uri: string, nc: string) => {
    const cnonce = crypto.randomUUID()
    const response = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${md5(`${method}:${uri}`)}`)
    return `Authorization: Digest username="root", realm="${REALM}", nonce="${nonce}", uri="${uri}", response="${response}", qop=auth, nc=${nc}, cnonce="${cnonce}"\r\n`
  }
  const conf = JSON.parse((await send('GET', read, authorization('GET', read, '00000001'))).body)
  conf.pools = pools.map((p) => ({ url: p.url, user: p.user, pass: p.password }))
  return (await send('POST', write, authorization('POST', write, '00000002'), JSON.stringify(conf))).body.includes('success')
}

for (let cycle = 0; cycle < Number(polls); cycle++) await pollCycle(targets.map((t) => t.address), { concurrency: 256, timeoutMs: 5000 })

const rounds: { ms: number; ok: number; cpuMs: number }[] = []
for (const [round, count] of poolCounts.split(',').map(Number).entries()) {
  const now = Date.now()
  const pools: Pools = Array.from({ length: count }, (_, n) => ({ url: `stratum+tcp://fanout-${round}-${n}.example:3333`, user: 'bench.worker', password: 'bench-pool-pw' }))
  const command: Command<'set_pools'> = {
    command_id: crypto.randomUUID(), tenant: 'bench', site: 'bench', miner_ids: targets.map((t) => t.id), action: 'set_pools', params: { pools },
    issued_at: new Date(now).toISOString(), expires_at: new Date(now + 600_000).toISOString(),
  }
  const queue = longestFirst(command.miner_ids, vendorOf)
  const started = performance.now()
  const cpuBefore = cpuMs(Deno.pid)
  let ok = 0
  const one = async (id: string): Promise<boolean> => {
    const vendor = vendorOf(id)
    const target = targets[Number(id)]!
    if (mode === 'edge') return (await runOnMiner(target, command, { client, webPort, timeoutMs: 5000, vendor })).status === 'ok'
    if (vendor === 'whatsminer') return false
    return vendor === 'antminer' ? bareOverWeb(target.address.hostname, pools) : bareOverCgminer(target.address.hostname, pools)
  }
  await Promise.all(Array.from({ length: Math.min(256, queue.length) }, async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) if (await one(id)) ok++
  }))
  rounds.push({ ms: Math.round(performance.now() - started), ok, cpuMs: cpuMs(Deno.pid) - cpuBefore })
}
console.log(`RESULT ${JSON.stringify({ mode, rounds })}`)
