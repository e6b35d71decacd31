import assert from 'node:assert/strict'
import { type Command, createCryptoService, type DataKey, sealCommand } from '../../e2ee/mod.ts'
import { startSimulator } from '../../tests/sim/simulator.ts'
import { parseAddress } from '../cgminer/address.ts'
import type { Vendor } from '../cgminer/identify.ts'
import { pollMiner } from '../poller.ts'
import type { MinerTarget } from '../targets.ts'
import { randomLoopbackBase } from '../testdata/loopback.ts'
import { tempStateDir } from '../testdata/temp_state.ts'
import { CommandApi, type MinerResult } from './command_api.ts'
import { handleCommand, longestFirst, runCommands, type CommandRunnerOptions } from './runner.ts'
import { SeenCommands } from './seen_commands.ts'
import type { DeliveredCommand, Refusal } from './verify_command.ts'

// Miners in vendor order: 0 antminer-s19 (web), 1 antminer-s21 (web), 2 whatsminer-v2 (neither), 3 luxos (cgminer), 4 avalon-1566 (cgminer, no pause/LED).
const TENANT = 'tenant-1'
const SITE = 'site-1'
const IDS = ['m-s19', 'm-s21', 'm-wm', 'm-lux', 'm-avalon']
const LOGINS = { 0: { user: 'root', password: 's19-own-pw' }, 1: { user: 'root', password: 's21-own-pw' } }
const service = createCryptoService()
const keyOf = (fill: number): Promise<DataKey> => service.importDataKey(new Uint8Array(32).fill(fill), 'CCCCCCCCCCCCCCCCCCCCCC', TENANT)

type Reported = { id: string; report: { results: MinerResult[] } | { refused: Refusal } }

async function farm() {
  const sim = await startSimulator({ miners: 5, baseAddress: randomLoopbackBase(), port: 0, web: {}, logins: LOGINS, dirty: false })
  const targets: MinerTarget[] = sim.addresses.map((a, i) => ({
    id: IDS[i]!, name: `miner ${i}`, address: parseAddress(a),
    credentials: i < 2 ? { username: 'root', password: LOGINS[i as 0 | 1].password } : null,
  }))
  return { sim, targets }
}

function options(stateDir: string, key: DataKey, targets: MinerTarget[], webPort: number, reported: Reported[], signal = new AbortController().signal): CommandRunnerOptions {
  const api = { report: async (id: string, report: Reported['report']) => void reported.push({ id, report }), next: async () => [] } as unknown as CommandApi
  return { api, scope: { tenantId: TENANT, siteId: SITE }, stateDir, dataKey: async () => key, targets: () => targets, webPort, timeoutMs: 2000, flushMs: 20, signal, log: () => {} }
}

function command(action: Command['action'], params: Command['params'], patch: Partial<Command> = {}): Command {
  return {
    command_id: crypto.randomUUID(), tenant: TENANT, site: SITE, miner_ids: IDS, action, params,
    issued_at: new Date().toISOString(), expires_at: new Date(Date.now() + 60_000).toISOString(), ...patch,
  }
}

async function deliver(key: DataKey, c: Command): Promise<DeliveredCommand> {
  return { id: c.command_id, site_id: SITE, action: c.action, miner_ids: c.miner_ids, expires_at: c.expires_at, sealed: await sealCommand(key, c) }
}

const statuses = (results: MinerResult[]) => Object.fromEntries(results.map((r) => [r.miner_id, r.status]))

Deno.test('each action runs on each path, miners without it answer "not supported", and the next poll shows the change', async () => {
  const { sim, targets } = await farm()
  await using _sim = sim
  await using state = await tempStateDir()
  const key = await keyOf(1)
  const reported: Reported[] = []
  const opts = options(state.dir, key, targets, sim.webPort!, reported)
  const seen = await SeenCommands.open(state.dir)
  const run = async (c: Command) => {
    const report = await handleCommand(await deliver(key, c), seen, opts)
    assert.ok('results' in report, JSON.stringify(report))
    return statuses(report.results)
  }
  const poll = (i: number) => pollMiner(sim.addresses[i]!, { timeoutMs: 2000 })

  const pools = [{ url: 'stratum+tcp://new-pool.example:3333', user: 'farm.worker1', password: 'sealed-pool-pw' }]
  assert.deepEqual(await run(command('set_pools', { pools })), { 'm-s19': 'ok', 'm-s21': 'ok', 'm-wm': 'unsupported', 'm-lux': 'ok', 'm-avalon': 'ok' })
  for (const i of [0, 1, 3, 4]) {
    assert.equal((await poll(i)).pool?.url, 'stratum+tcp://new-pool.example:3333', `miner ${i}`)
    assert.deepEqual(sim.controls[i]!.pools!.map((p) => p.password), ['sealed-pool-pw'])
  }

  assert.deepEqual(await run(command('pause', {})), { 'm-s19': 'ok', 'm-s21': 'ok', 'm-wm': 'unsupported', 'm-lux': 'ok', 'm-avalon': 'unsupported' })
  for (const i of [0, 1, 3]) assert.equal((await poll(i)).hashrateThs, 0, `miner ${i} paused`)
  assert.ok(((await poll(4)).hashrateThs ?? 0) > 0)
  assert.deepEqual(await run(command('resume', {})), { 'm-s19': 'ok', 'm-s21': 'ok', 'm-wm': 'unsupported', 'm-lux': 'ok', 'm-avalon': 'unsupported' })
  assert.ok(((await poll(3)).hashrateThs ?? 0) > 0 && ((await poll(0)).hashrateThs ?? 0) > 0)

  assert.deepEqual(await run(command('blink_led', { on: true })), { 'm-s19': 'ok', 'm-s21': 'ok', 'm-wm': 'unsupported', 'm-lux': 'ok', 'm-avalon': 'unsupported' })
  assert.deepEqual(sim.controls.map((c) => c.led), [true, true, false, true, false])

  for (const c of sim.controls) c.bootedAt = Date.now() - 3600_000
  assert.deepEqual(await run(command('reboot', {})), { 'm-s19': 'ok', 'm-s21': 'ok', 'm-wm': 'unsupported', 'm-lux': 'ok', 'm-avalon': 'ok' })
  for (const i of [0, 1, 3, 4]) assert.ok(((await poll(i)).uptimeS ?? Infinity) < 60, `miner ${i} rebooted`)
  assert.deepEqual(sim.controls.map((c) => c.reboots), [1, 1, 0, 1, 1])
  for (const c of sim.controls) c.bootedAt = Date.now() - 3600_000
  assert.deepEqual(await run(command('restart', {})), { 'm-s19': 'ok', 'm-s21': 'ok', 'm-wm': 'unsupported', 'm-lux': 'ok', 'm-avalon': 'ok' })
  for (const i of [0, 3]) assert.ok(((await poll(i)).uptimeS ?? Infinity) < 60, `miner ${i} restarted`)

  // set_password: the web login only; afterwards the miner takes the new password, and the old one fails per miner.
  assert.deepEqual(await run(command('set_password', { new_password: 'rotated-pw-1' })), { 'm-s19': 'ok', 'm-s21': 'ok', 'm-wm': 'unsupported', 'm-lux': 'unsupported', 'm-avalon': 'unsupported' })
  assert.deepEqual([sim.controls[0]!.login.password, sim.controls[1]!.login.password], ['rotated-pw-1', 'rotated-pw-1'])
  const stale = await handleCommand(await deliver(key, command('blink_led', { on: false }, { miner_ids: ['m-s19'] })), seen, opts)
  assert.ok('results' in stale)
  assert.deepEqual(stale.results, [{ miner_id: 'm-s19', status: 'error', message: 'Cannot log in to the miner: its web login refused the stored user name or password' }])
  // Once the owner's device has written the new credentials block, the edge's login works again.
  targets[0]!.credentials = { username: 'root', password: 'rotated-pw-1' }
  assert.deepEqual(await run(command('blink_led', { on: false }, { miner_ids: ['m-s19'] })), { 'm-s19': 'ok' })
  assert.equal(sim.controls[0]!.led, false)

  // Every result went to the API in parts, and no message names an address.
  const sent = reported.flatMap((r) => ('results' in r.report ? r.report.results : []))
  assert.ok(sent.length >= 7 * 5)
  assert.doesNotMatch(JSON.stringify(reported), /127\.\d+\.\d+\.\d+|sealed-pool-pw|rotated-pw/)
})

Deno.test('a tampered, forged, replayed, expired or wrong-site command is refused with its reason and nothing happens on the miners', async () => {
  const { sim, targets } = await farm()
  await using _sim = sim
  await using state = await tempStateDir()
  const key = await keyOf(1)
  const reported: Reported[] = []
  const opts = options(state.dir, key, targets, sim.webPort!, reported)
  const seen = await SeenCommands.open(state.dir)
  const reboot = () => command('reboot', {})

  const good = await deliver(key, reboot())
  const tampered = { ...good, sealed: { ...(good.sealed as object), ciphertext: btoa('x'.repeat(64)) } }
  const otherSite = reboot()
  const table: [string, DeliveredCommand, string][] = [
    ['tampered', tampered, 'undecryptable'],
    ['forged under another key', await deliver(await keyOf(2), reboot()), 'undecryptable'],
    ['sealed for another site', { ...(await deliver(key, { ...otherSite, site: 'site-2' })), site_id: SITE }, 'undecryptable'],
    ['relabelled by the server', { ...(await deliver(key, reboot())), id: crypto.randomUUID() }, 'undecryptable'],
    ['expired', await deliver(key, command('reboot', {}, { expires_at: new Date(Date.now() - 1000).toISOString() })), 'expired'],
  ]
  for (const [what, delivered, reason] of table) {
    assert.deepEqual(await handleCommand(delivered, seen, opts), { id: delivered.id, refused: reason }, what)
  }
  assert.deepEqual(sim.controls.map((c) => c.touched), [false, false, false, false, false])

  const once = await deliver(key, command('blink_led', { on: true }, { miner_ids: ['m-lux'] }))
  assert.ok('results' in await handleCommand(once, seen, opts))
  sim.controls[3]!.led = false
  // The same seal again, even after a restart of the edge (ids on disk): refused, and the LED stays off.
  const reopened = await SeenCommands.open(state.dir)
  assert.deepEqual(await handleCommand(once, reopened, opts), { id: once.id, refused: 'replayed' })
  assert.equal(sim.controls[3]!.led, false)
  const refusals = reported.flatMap((r) => ('refused' in r.report ? [r.report.refused.reason] : []))
  assert.deepEqual(refusals, ['undecryptable', 'undecryptable', 'undecryptable', 'undecryptable', 'expired', 'replayed'])
  // The edge keeps its own record, which the server cannot drop.
  const local = (await Deno.readTextFile(`${state.dir}/commands_refused.jsonl`)).trim().split('\n').map((line) => JSON.parse(line).reason)
  assert.deepEqual(local, refusals)
})

Deno.test('runCommands() long-polls the API, runs what arrives and posts per-miner results over HTTP', async () => {
  const { sim, targets } = await farm()
  await using _sim = sim
  await using state = await tempStateDir()
  const key = await keyOf(1)
  const queue: DeliveredCommand[] = [await deliver(key, command('blink_led', { on: true }, { miner_ids: ['m-lux', 'm-s19', 'm-wm'] }))]
  const posted: unknown[] = []
  const waits: string[] = []
  const done = Promise.withResolvers<void>()
  await using server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, async (request) => {
    const url = new URL(request.url)
    assert.equal(request.headers.get('authorization'), 'Bearer device-token')
    if (request.method === 'GET') {
      waits.push(url.searchParams.get('wait_ms')!)
      if (queue.length === 0) await new Promise((r) => setTimeout(r, 50))
      return Response.json({ commands: queue.splice(0) })
    }
    posted.push(await request.json())
    const results = posted.flatMap((p) => (p as { results?: unknown[] }).results ?? [])
    if (results.length === 3) done.resolve()
    return Response.json({ id: url.pathname.split('/')[4], status: 'delivered', recorded: 1 })
  })
  const stop = new AbortController()
  const api = new CommandApi({ baseUrl: `http://127.0.0.1:${server.addr.port}`, token: 'device-token', signal: stop.signal })
  const running = runCommands({ ...options(state.dir, key, targets, sim.webPort!, [], stop.signal), api, waitMs: 1000 })
  await done.promise
  stop.abort()
  await running
  assert.equal(waits[0], '1000')
  const results = posted.flatMap((p) => (p as { results: MinerResult[] }).results)
  assert.deepEqual(statuses(results), { 'm-lux': 'ok', 'm-s19': 'ok', 'm-wm': 'unsupported' })
  assert.deepEqual(sim.controls.map((c) => c.led), [true, false, false, true, false])
})

Deno.test("the server's routing metadata changes nothing: the edge acts on the sealed miners and action only", async () => {
  const { sim, targets } = await farm()
  await using _sim = sim
  await using state = await tempStateDir()
  const key = await keyOf(1)
  const reported: Reported[] = []
  const sealed = await deliver(key, command('blink_led', { on: true }, { miner_ids: ['m-lux'] }))
  // A hostile server relabels the command as a reboot of every miner.
  const altered = { ...sealed, action: 'reboot', miner_ids: IDS }
  const report = await handleCommand(altered, await SeenCommands.open(state.dir), options(state.dir, key, targets, sim.webPort!, reported))
  assert.deepEqual(report, { id: sealed.id, results: [{ miner_id: 'm-lux', status: 'ok' }] })
  assert.deepEqual(sim.controls.map((c) => [c.led, c.reboots]), [[false, 0], [false, 0], [false, 0], [true, 0], [false, 0]])
})

Deno.test('runCommands() stops with the API error when the device token is revoked', async () => {
  await using state = await tempStateDir()
  await using server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, () =>
    Response.json({ statusCode: 401, error: 'Unauthorized', message: 'Device token is unknown or revoked' }, { status: 401 }))
  const api = new CommandApi({ baseUrl: `http://127.0.0.1:${server.addr.port}`, token: 'revoked' })
  const opts = { ...options(state.dir, await keyOf(1), [], 1, []), api }
  await assert.rejects(runCommands(opts), { name: 'ApiError', message: 'Cannot fetch commands: the API answered 401: Device token is unknown or revoked' })
})

Deno.test("a miner's error that echoes the pool password reaches the API without it", async () => {
  const { sim, targets } = await farm()
  await using _sim = sim
  await using state = await tempStateDir()
  const key = await keyOf(1)
  const reported: Reported[] = []
  const pools = [{ url: 'http://not-a-stratum-url.example', user: 'farm.leaky', password: 'leak-me-pool-pw' }]
  const report = await handleCommand(await deliver(key, command('set_pools', { pools }, { miner_ids: ['m-lux'] })), await SeenCommands.open(state.dir), options(state.dir, key, targets, sim.webPort!, reported))
  assert.ok('results' in report)
  assert.equal(report.results[0]!.status, 'error')
  assert.match(report.results[0]!.message!, /Invalid addpool details '\[secret\],\[secret\],\[secret\]'/)
  assert.doesNotMatch(JSON.stringify(reported), /leak-me-pool-pw|farm\.leaky|not-a-stratum/)
})

Deno.test('results the API fails to take are sent again', async () => {
  const { sim, targets } = await farm()
  await using _sim = sim
  await using state = await tempStateDir()
  const key = await keyOf(1)
  let attempts = 0
  const stored: unknown[] = []
  await using server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, async (request) => {
    const body = await request.json()
    if (++attempts === 1) return Response.json({ statusCode: 503, error: 'Service Unavailable', message: 'down' }, { status: 503 })
    stored.push(body)
    return Response.json({ ok: true })
  })
  const api = new CommandApi({ baseUrl: `http://127.0.0.1:${server.addr.port}`, token: 't' })
  const delivered = await deliver(key, command('blink_led', { on: true }, { miner_ids: ['m-lux'] }))
  await handleCommand(delivered, await SeenCommands.open(state.dir), { ...options(state.dir, key, targets, sim.webPort!, []), api })
  assert.deepEqual([attempts, stored], [2, [{ results: [{ miner_id: 'm-lux', status: 'ok' }] }]])
})

Deno.test('the family seen in the last poll picks the path: stock Antminers go straight to the web interface, Whatsminers answer at once', async () => {
  const { sim, targets } = await farm()
  await using _sim = sim
  await using state = await tempStateDir()
  const key = await keyOf(1)
  const polled = await Promise.all(sim.addresses.map((a) => pollMiner(a, { timeoutMs: 2000 })))
  const vendors = new Map(polled.map((t, i) => [IDS[i]!, t.vendor]))
  assert.deepEqual([...vendors.values()], ['antminer', 'antminer', 'whatsminer', 'luxos', 'avalon'])
  const pools = [{ url: 'stratum+tcp://hinted.example:3333', user: 'farm.hinted', password: 'hinted-pw' }]
  const run = async (vendorOf?: CommandRunnerOptions['vendorOf']) => {
    const before = sim.connections()
    const c = command('set_pools', { pools }, { miner_ids: ['m-s19', 'm-s21', 'm-wm'] })
    const report = await handleCommand(await deliver(key, c), await SeenCommands.open(state.dir), { ...options(state.dir, key, targets, sim.webPort!, []), vendorOf })
    assert.ok('results' in report)
    return { statuses: statuses(report.results), privilegedConnections: sim.connections() - before }
  }
  const expected = { 'm-s19': 'ok', 'm-s21': 'ok', 'm-wm': 'unsupported' }
  // Unknown families try the privileged API first: one refused connection each.
  assert.deepEqual(await run(), { statuses: expected, privilegedConnections: 3 })
  assert.deepEqual(await run((id) => vendors.get(id)), { statuses: expected, privilegedConnections: 0 })
  assert.deepEqual(sim.controls[0]!.pools!.map((p) => p.url), ['stratum+tcp://hinted.example:3333'])
})

/** A loopback port nothing listens on (taken and given back). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: '127.0.0.1', port: 0 })
  listener.close()
  return (listener.addr as Deno.NetAddr).port
}

Deno.test('an Antminer without a web interface still tries the privileged API', async () => {
  const sim = await startSimulator({ miners: 1, baseAddress: randomLoopbackBase(), port: 0, dirty: false })
  await using _sim = sim
  await using state = await tempStateDir()
  const key = await keyOf(1)
  const targets: MinerTarget[] = [{ id: 'm-s19', name: 'no web', address: parseAddress(sim.addresses[0]!), credentials: { username: 'root', password: 'root' } }]
  const before = sim.connections()
  const c = command('reboot', {}, { miner_ids: ['m-s19'] })
  const report = await handleCommand(await deliver(key, c), await SeenCommands.open(state.dir), { ...options(state.dir, key, targets, closedPort(), []), vendorOf: () => 'antminer' })
  assert.ok('results' in report)
  assert.deepEqual([report.results[0]!.status, sim.connections() - before], ['unsupported', 2])
})

Deno.test('longestFirst() starts miners on the privileged API, then Antminers, then Whatsminers, keeping the order within each', () => {
  const vendors: Record<string, Vendor> = { w1: 'whatsminer', a1: 'antminer', l1: 'luxos', w2: 'whatsminer', a2: 'antminer', v1: 'avalon' }
  assert.deepEqual(longestFirst(['w1', 'a1', 'l1', 'new', 'w2', 'a2', 'v1'], (id) => vendors[id]), ['l1', 'new', 'v1', 'a1', 'a2', 'w1', 'w2'])
  assert.deepEqual(longestFirst(['w1', 'a1']), ['w1', 'a1'])
})
