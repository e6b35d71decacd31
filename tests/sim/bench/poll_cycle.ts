/**
 * Benchmark child: one poll cycle (or the minimal baseline loop) over simulated
 * miners, printing BENCH-ready figures as `RESULT {...}`. Loopback only.
 *   deno run -A tests/sim/bench/poll_cycle.ts <poller|baseline> <base> <count> <port> <concurrency> [cycles] [threads]
 * The poller polls on `threads` threads (default the collector's, `--poll-threads`); the baseline on one.
 */
import { loopbackRange } from '../addresses.ts'
import { mapPool } from '../../../edge-deno/poller.ts'
import { PollThreads } from '../../../edge-deno/poll_threads.ts'
import { DEFAULT_POLL_THREADS } from '../../../edge-deno/config.ts'
import { cpuMs as processCpuMs } from '../../bench/cpu.ts'

const [mode, base, countText, portText, concurrencyText, cyclesText = '1', threadsText = String(DEFAULT_POLL_THREADS)] = Deno.args
const addresses = loopbackRange(base, Number(countText)).map((host) => `${host}:${portText}`)
const concurrency = Number(concurrencyText)
const request = new TextEncoder().encode('{"command":"summary+pools+devs+stats"}')

// This process's CPU time (all its threads), ms: unlike the cycle's wall time, it hardly
// moves when other programs share the cores.
const cpuMs = () => processCpuMs(Deno.pid)

function rssMb(): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync('/proc/self/status'))?.[1] ?? 0) / 1024
}

function peakRssMb(): number {
  const status = Deno.readTextFileSync('/proc/self/status')
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024
}

// The least a collector can do: connect, write, read to NUL, close. No parsing.
async function bare(address: string): Promise<boolean> {
  const [hostname, port] = address.split(':')
  try {
    using conn = await Deno.connect({ hostname, port: Number(port) })
    await conn.write(request)
    const buffer = new Uint8Array(65_536)
    while (true) {
      const n = await conn.read(buffer)
      if (n === null || buffer.subarray(0, n).includes(0)) return true
    }
  } catch {
    return false
  }
}

using threads = new PollThreads(Number(threadsText), (message) => console.error(message))
const times: number[] = []
const cpu: number[] = []
const rssAfter: number[] = []
let ok = 0
for (let cycle = 0; cycle < Number(cyclesText); cycle++) {
  const started = performance.now()
  const cpuBefore = cpuMs()
  if (mode === 'baseline') ok = (await mapPool(addresses, concurrency, bare)).filter(Boolean).length
  else ok = (await threads.cycle(addresses, { concurrency, timeoutMs: 5000 })).filter((t) => t.online && t.hashrateThs !== null).length
  times.push(performance.now() - started)
  cpu.push(cpuMs() - cpuBefore)
  rssAfter.push(Math.round(rssMb() * 10) / 10)
}
const best = Math.min(...times)
console.log(`RESULT ${JSON.stringify({ mode, threads: mode === 'baseline' ? 1 : threads.threads, miners: addresses.length, ok, cycleMs: best, cycles: times, minersPerS: addresses.length / (best / 1000), cpuUsPerMiner: Math.min(...cpu) * 1000 / addresses.length, rssMbByCycle: rssAfter, peakRssMb: peakRssMb() })}`)
