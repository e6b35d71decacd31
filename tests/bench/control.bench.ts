/**
 * `npm run bench -- control`: `control.fanout.1k` — set_pools to 1 000 simulated
 * miners (every vendor shape: Antminers through their Digest web interface, LuxOS
 * and Avalon through the privileged cgminer API, Whatsminers "not supported"),
 * seconds from the owner's confirmation to the last miner's result in the store,
 * against one poll cycle of the same 1 000 miners measured in the same run.
 *
 * "The store" is what the PWA's commands.ts does, run here without a browser: seal
 * with e2ee (as the crypto worker), POST /api/commands, then merge the stream's
 * `command.progress` events until no miner is pending. The API, the simulator and the
 * edge (`run`, as shipped) are separate processes on loopback; every child is killed
 * after a bound. Beside the wall times it prints the CPU time of the edge, the
 * simulator, the API and PostgreSQL for the command (and of the first two for the poll
 * cycle): on this one machine they all share the cores, the simulated miners' own work
 * included, which a real farm's miners do not. The simulator's command handlers are
 * warmed first by another process, and the edge polls a few cycles before the command,
 * as a running edge has; the command's own code has never run. After the command,
 * `edge_only` and `floor` time the same exchanges with the edge's per-miner code alone
 * and with the least code a client can have, to show where the time goes.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import knexFactory from 'knex'
import { createKeyring, encryptBlock, sealCommand } from '../../e2ee/mod.ts'
import { cpuMs, treeCpuMs } from './cpu.ts'
import { result, type BenchSuite } from './report.ts'
import { EDGE_V8_FLAGS } from './shipped.ts'
import { benchDatabase, call, startServer } from './servers.ts'
import { freePort } from '../../api/src/db/embedded_postgres.ts'
import { connectSse } from '../support/sse.ts'
import { loopbackRange } from '../sim/addresses.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const deno = `${root}node_modules/.bin/deno`
const MINERS = 1_000
const BASE = '127.62.0.1'
// What a set_pools can set: every miner but the Whatsminers (one vendor shape in five), which answer "not supported".
const SETTABLE = MINERS * 4 / 5
const PASSPHRASE = 'bench control passphrase 1k'
const BOUND_MS = 120_000
// The edge polls a few cycles before the command, as a running edge has: the code polling and
// commands share (the cgminer client, its deadlines, the reply parser, fetch) is then compiled,
// the command's own code is not. The cycles start INTERVAL_MS apart, and each command starts
// SETTLE_MS after a cycle ends (its telemetry delivered and streamed) and ends before the next.
const WARM_CYCLES = 6
const INTERVAL_MS = 5_000
const SETTLE_MS = 1_000
// The edge logs a cycle's polling time after delivering its telemetry, which takes well under this.
const DELIVERY_BOUND_MS = 1_000
const POLL_THREADS = 2

function waitForLine(child: ChildProcess, pattern: RegExp, what: string, stream: 'stdout' | 'stderr' = 'stdout'): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Cannot ${what}: no ${pattern} within 90 s`)), 90_000)
    let out = ''
    child[stream]!.on('data', (d: Buffer) => {
      out += d
      const m = pattern.exec(out)
      if (m) clearTimeout(timer), resolve(m)
    })
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`Cannot ${what}: exited with ${code}: ${out.slice(-500)}`))))
  })
}

/** One round of `command_fanout.ts`: its wall time, the miners it set, its CPU time. */
type FanOutRound = { ms: number; ok: number; cpuMs: number }

function runDeno(args: string[]): Promise<string> {
  const child = spawn(deno, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), BOUND_MS)
    let out = ''
    child.stdout!.on('data', (d) => (out += d))
    child.stderr!.on('data', (d) => (out += d))
    child.once('exit', (code) => (clearTimeout(timer), code === 0 ? resolve(out) : reject(new Error(`deno ${args[2]} exited with ${code}: ${out.slice(-500)}`))))
  })
}

const suites: BenchSuite[] = [{
  name: 'control.fanout',
  async run() {
    const db = await benchDatabase('bench_control')
    const dir = await mkdtemp(join(tmpdir(), 'hashinsight-bench-control-'))
    const children: ChildProcess[] = []
    const server = await startServer('app', db.url, randomBytes(32).toString('hex'))
    const knex = knexFactory({ client: 'pg', connection: db.url, pool: { min: 0, max: 2 } })
    try {
      const base = `http://127.0.0.1:${server.port}`
      const webPort = await freePort()
      const sim = spawn(deno, ['run', '-A', 'tests/sim/main.ts', '--miners', String(MINERS), '--base', BASE, '--port', '0', '--web-port', String(webPort), '--refresh-ms', '600000'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
      children.push(sim)
      const simPort = Number(JSON.parse((await waitForLine(sim, /READY (\{.*\})/, 'start the simulator'))[1]!).port)
      // set_pools to the simulated miners from a process of its own, without the API, a round
      // per pool count: its last round.
      const fanOut = async (mode: 'edge' | 'bare', poolCounts: number[], polls = 0): Promise<FanOutRound> => {
        const out = await runDeno(['run', '-A', ...EDGE_V8_FLAGS, 'tests/sim/bench/command_fanout.ts', mode, BASE, String(MINERS), String(simPort), String(webPort), poolCounts.join(','), String(polls)])
        const done = (JSON.parse(/RESULT (\{.*\})/.exec(out)![1]!).rounds as FanOutRound[]).at(-1)!
        if (done.ok !== SETTABLE) throw new Error(`Cannot set pools from command_fanout.ts (${mode}): ${out.slice(-300)}`)
        return done
      }

      // A tenant with a keyring and 1 000 Plan A miners whose blocks hold the simulator's stock login.
      const { token, tenant } = await call(base, 'POST', '/api/auth/register', undefined, { email: `bench-${randomUUID()}@example.com`, password: 'bench password 123', tenantName: 'Bench control' })
      const { wrapped, key } = await createKeyring(PASSPHRASE, tenant.id)
      await call(base, 'PUT', '/api/keyring', token, { keyring: wrapped })
      const site = await call(base, 'POST', '/api/sites', token, { name: 'Hall 1k' })
      const hosts = loopbackRange(BASE, MINERS)
      const ids = hosts.map(() => randomUUID())
      const rows = await Promise.all(hosts.map(async (host, i) => ({
        id: ids[i], tenant_id: tenant.id, site_id: site.id, name: `m${i}`, ip_address: host, port: simPort,
        encrypted_credentials: JSON.stringify(await encryptBlock(key, { username: 'root', password: 'root', pool_password: 'x' }, { tenantId: tenant.id, kind: 'credentials', subjectId: ids[i]!, counter: 1 })),
      })))
      await knex.batchInsert('hosting_miners', rows, 500)

      // The simulator's command handlers are compiled and its miners' command state made
      // before the measured command, as a real miner's firmware (native code) has them; by
      // another process, so the edge under test has not run them. Cold, the simulator's first
      // set_pools to these miners took 1.5× its second (806 against 546 ms in one run).
      // It leaves every miner three pools, as the simulator starts them.
      await fanOut('edge', [3, 3])

      // Baseline: one poll cycle of the same miners, as the edge's poller does it (before the
      // edge starts, so that the two do not poll at once).
      const simCpuBeforePoll = cpuMs(sim.pid!)
      const polled = await runDeno(['run', '-A', ...EDGE_V8_FLAGS, 'tests/sim/bench/poll_cycle.ts', 'poller', BASE, String(MINERS), String(simPort), '256', '3', String(POLL_THREADS)])
      const polledResult = JSON.parse(/RESULT (\{.*\})/.exec(polled)![1]!)
      const cycleMs = polledResult.cycleMs as number
      // Per cycle: the poller reports its best cycle's CPU; the simulator's is averaged over the three.
      const polledCpu = { poller: Math.round(polledResult.cpuUsPerMiner * MINERS / 1000), sim: Math.round((cpuMs(sim.pid!) - simCpuBeforePoll) / 3) }

      // The edge, enrolled and running as shipped, polling WARM_CYCLES cycles before the command.
      const stateDir = join(dir, 'state')
      const passphraseFile = join(dir, 'passphrase')
      await writeFile(passphraseFile, `${PASSPHRASE}\n`, { mode: 0o600 })
      const { enrollment_code: code } = await call(base, 'POST', `/api/sites/${site.id}/devices`, token, { name: 'bench rig' })
      await runDeno(['run', '-A', 'edge-deno/main.ts', 'enroll', code, '--api', base, '--state-dir', stateDir])
      const edge = spawn(deno, ['run', '-A', ...EDGE_V8_FLAGS, 'edge-deno/main.ts', 'run', '--state-dir', stateDir, '--passphrase-file', passphraseFile,
        '--interval', String(INTERVAL_MS), '--jitter', '0', '--poll-threads', String(POLL_THREADS), '--timeout', '5000'], {
        cwd: root, env: { ...process.env, HASHINSIGHT_MINER_WEB_PORT: String(webPort) }, stdio: ['ignore', 'ignore', 'pipe'],
      })
      children.push(edge)
      // The edge logs a cycle as it ends; the next one starts INTERVAL_MS after it started.
      const cycleLine = (n: number) => waitForLine(edge, new RegExp(`Cycle ${n}: (\\d+)/(\\d+) miners online in (\\d+) ms`), 'run the edge', 'stderr')
      const endOfCycle = async (n: number) => {
        const line = await cycleLine(n)
        const nextStartsAt = performance.now() - Number(line[3]) - DELIVERY_BOUND_MS + INTERVAL_MS
        await new Promise((settled) => setTimeout(settled, SETTLE_MS))
        return { nextStartsAt }
      }
      const warmedUp = endOfCycle(WARM_CYCLES)
      // Awaited below; if the edge exits first, the first cycle's wait says so.
      warmedUp.catch(() => {})
      const cycle = await cycleLine(1)

      // The owner's device listens to the stream, as the PWA's sync engine does all along.
      const { ticket } = await call(base, 'POST', '/api/stream/ticket', token)
      const stream = await connectSse(`${base}/api/stream?ticket=${encodeURIComponent(ticket)}`)
      // The owner confirms: seal, send, and watch until the last miner has answered.
      type Progress = { id: string; status: string; counts: { ok: number; error: number; unsupported: number; pending: number } }
      // What each process spent: on these shared cores the wall time cannot be less than their sum over two.
      const postgres = db.serverPid()
      const spent = () => ({ edge: cpuMs(edge.pid!), sim: cpuMs(sim.pid!), api: cpuMs(server.child.pid!), postgres: postgres === null ? NaN : treeCpuMs(postgres) })
      // Each command runs between two poll cycles and must end before the next.
      const setPools = async (pools: string[], after: Promise<{ nextStartsAt: number }>) => {
        const { nextStartsAt } = await after
        const before = spent()
        const started = performance.now()
        const now = Date.now()
        const command = {
          command_id: randomUUID(), tenant: tenant.id, site: site.id, miner_ids: ids, action: 'set_pools' as const,
          params: { pools: pools.map((pool) => ({ url: `stratum+tcp://${pool}.example:3333`, user: 'bench.worker', password: 'bench-pool-pw' })) },
          issued_at: new Date(now).toISOString(), expires_at: new Date(now + 600_000).toISOString(),
        }
        const ran = waitForLine(edge, new RegExp(`Command ${command.command_id} \\(set_pools\\) on \\d+ miners in (\\d+) ms`), 'run the command', 'stderr')
        const sealed = await sealCommand(key, command)
        await call(base, 'POST', '/api/commands', token, { command_id: command.command_id, site_id: site.id, miner_ids: ids, action: 'set_pools', expires_at: command.expires_at, sealed })
        const last = await stream.waitFor((e) => e.event === 'command.progress' && (e.data as Progress).id === command.command_id && (e.data as Progress).counts.pending === 0, BOUND_MS)
        if (performance.now() > nextStartsAt) throw new Error(`Cannot time the command alone: the edge's next poll cycle began during it; raise INTERVAL_MS (${INTERVAL_MS})`)
        return {
          seconds: (last.receivedAt - started) / 1000, counts: (last.data as Progress).counts,
          cpu: Object.fromEntries(Object.entries(spent()).map(([k, v]) => [k, v - before[k as keyof typeof before]])) as ReturnType<typeof spent>,
          edgeMs: Number((await ran)[1]),
        }
      }
      // One pool for the three each miner has (as the simulator starts it, and as the warming
      // left it): one addpool, a switchpool and three removepools on the privileged API; an
      // Antminer's web interface reads and writes its configuration.
      const cold = await setPools(['bench-pool'], warmedUp)
      // The same work again with the edge's code compiled and each Antminer's Digest
      // challenge known: three pools for the one, three addpools, a switchpool, a removepool.
      const warm = await setPools(['bench-pool-2', 'bench-pool-3', 'bench-pool-4'], endOfCycle(WARM_CYCLES + 1))
      stream.close()
      // The edge would go on polling during the figures below.
      edge.kill('SIGTERM')
      // Where the time goes, each timed on a set_pools of one pool for three, as the cold run:
      // the edge's per-miner code alone (a fresh process that first polls as much as the edge's
      // thread had, its command code cold as well); then the same exchanges with the least code
      // a client can have, its code warmed by a first round that gives the miners three pools again.
      const edgeOnly = await fanOut('edge', [1], WARM_CYCLES / POLL_THREADS)
      const floor = await fanOut('bare', [3, 1])
      // And the loopback TCP work alone: the same connections and exchanges against a server
      // that answers at once, in place of the simulator; its last of three rounds.
      await new Promise((stopped) => (sim.once('exit', stopped), sim.kill('SIGTERM')))
      const tcpServer = spawn(deno, ['run', '-A', 'tests/sim/bench/tcp_floor.ts', 'server', BASE, String(MINERS)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
      children.push(tcpServer)
      const tcpPorts = JSON.parse((await waitForLine(tcpServer, /READY (\{.*\})/, 'start the TCP floor server'))[1]!)
      const tcpCpuBefore = cpuMs(tcpServer.pid!)
      const tcpOut = await runDeno(['run', '-A', ...EDGE_V8_FLAGS, 'tests/sim/bench/tcp_floor.ts', 'client', BASE, String(MINERS), String(tcpPorts.oneShot), String(tcpPorts.keepAlive), '3'])
      const tcp = (JSON.parse(/RESULT (\{.*\})/.exec(tcpOut)![1]!).rounds as { ms: number; cpuMs: number }[]).at(-1)!
      const tcpServerCpu = Math.round((cpuMs(tcpServer.pid!) - tcpCpuBefore) / 3)
      const described = (run: typeof cold) => {
        const { ok, error, unsupported, pending } = run.counts
        const { edge, sim, api, postgres } = run.cpu
        return `${ok} ok, ${error} failed, ${unsupported} not supported, ${pending} pending; the edge's own run took ${run.edgeMs} ms; ` +
          `CPU for the command: edge ${edge} ms, simulator ${sim} ms, API ${api} ms, PostgreSQL ${Number.isNaN(postgres) ? 'not measured (DATABASE_URL)' : `${postgres} ms`}`
      }
      const note = `${MINERS} miners (${cycle[1]}/${cycle[2]} online at the edge's first cycle, which took ${cycle[3]} ms): ${described(cold)} ` +
        `(one poll cycle: poller ${polledCpu.poller} ms, simulator ${polledCpu.sim} ms); the command ran once, its code cold, after the edge's first ${WARM_CYCLES} poll cycles; ` +
        `store fed by the stream as the PWA is; baseline one poll cycle (best of 3) of the same miners, ${Math.round(cycleMs)} ms; goal ≤ 2×`
      return [
        result('control.fanout.1k', cold.seconds, 's', cycleMs / 1000, note),
        result('control.fanout.1k.warm', warm.seconds, 's', cycleMs / 1000,
          `a second set_pools with as many exchanges per miner, after the edge's next poll cycle (edge code compiled, Digest challenges known): ${described(warm)}; baseline the same poll cycle; no goal of its own`),
        result('control.fanout.1k.edge_only', edgeOnly.ms / 1000, 's', cycleMs / 1000,
          `the cold run's exchanges with the edge's per-miner code alone (runOnMiner in a fresh process after as many poll exchanges on its thread as the edge's: no API, no delivery, no results), CPU ${edgeOnly.cpuMs} ms; baseline the same poll cycle; no goal of its own`),
        result('control.fanout.1k.floor', floor.ms / 1000, 's', cycleMs / 1000,
          `the cold run's exchanges with the least code a client can have (no deadlines, no checks, its code warm), CPU ${floor.cpuMs} ms: the floor under any edge on this machine and simulator; baseline the same poll cycle; no goal of its own`),
        result('control.fanout.1k.tcp', tcp.ms / 1000, 's', cycleMs / 1000,
          `the cold run's connections and exchanges (2 400 connections, 3 200 request-replies) against a server that answers at once in place of the simulator, no protocol, no miner state, no parsing on either side, CPU client ${tcp.cpuMs} ms, server ${tcpServerCpu} ms (a round, averaged over the three): the loopback TCP work under any edge and simulator on this machine; baseline the same poll cycle; no goal of its own`),
      ]
    } finally {
      for (const child of children) child.kill('SIGTERM')
      await knex.destroy()
      await server.stop()
      await db.close()
      await rm(dir, { recursive: true, force: true })
    }
  },
}]

export default suites
