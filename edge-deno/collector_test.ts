import assert from 'node:assert/strict'
import { startSimulator } from '../tests/sim/simulator.ts'
import { ApiError } from './api_client.ts'
import { runCollector } from './collector.ts'
import type { DeviceState } from './state.ts'
import { startFakeApi } from './testdata/fake_api.ts'
import { randomLoopbackBase } from './testdata/loopback.ts'
import { minerId, PASSPHRASE, planA, planAWithCreds, planB, SITE, TENANT, testKeyring } from './testdata/miners.ts'
import { tempStateDir } from './testdata/temp_state.ts'

const device = (url: string): DeviceState => ({ api_url: url, device_id: '44444444-4444-4444-8444-444444444444', tenant_id: TENANT, site_id: SITE, token: 'device-token' })
const hostPort = (address: string) => ({ host: address.slice(0, address.lastIndexOf(':')), port: Number(address.slice(address.lastIndexOf(':') + 1)) })

async function siteOf(addresses: string[]) {
  const [a, b, c] = addresses.map(hostPort)
  const swapped = await planB(4, { ip_address: c.host, port: c.port })
  return [
    await planAWithCreds(1, a.host, a.port),
    await planB(2, { ip_address: b.host, port: b.port, username: 'fullmode-user', password: 'fullmode-pw', pool_user: 'wallet.worker-8812' }),
    planA(3, c.host, c.port),
    // Miner 4's block belongs to miner 2: refused, reported, and the others still polled.
    { ...swapped, encrypted_connection_full: (await planB(2, { ip_address: b.host, port: b.port })).encrypted_connection_full },
  ]
}

Deno.test('runCollector({once}) polls the site through the simulator (on two threads, as `run` does) and delivers one batch with miner ids and no address', async () => {
  await using sim = await startSimulator({ miners: 3, baseAddress: randomLoopbackBase(), port: 0 })
  await using state = await tempStateDir()
  const { wrapped } = await testKeyring()
  await using api = startFakeApi({ miners: { tenant_id: TENANT, site_id: SITE, miners: await siteOf(sim.addresses) }, keyring: wrapped })
  const lines: string[] = []
  const summary = await runCollector({ stateDir: state.dir, device: device(api.url), passphrase: PASSPHRASE, once: true, timeoutMs: 2000, pollThreads: 2, log: (l) => lines.push(l) })
  assert.equal(summary.cycles, 1)
  assert.deepEqual(summary.lastFlush, { sent: 1, duplicates: 0, refused: 0, pending: 0 })
  assert.equal(api.stored.length, 1)
  const [batch] = api.stored
  assert.deepEqual(batch.samples.map((s) => [s.miner_id, s.online, s.error?.kind ?? null]), [
    [minerId(1), true, null], [minerId(2), true, null], [minerId(3), true, null], [minerId(4), false, 'decrypt'],
  ])
  assert.ok(batch.samples.slice(0, 3).every((s) => s.hashrate_ths !== null && s.hashrate_ths > 10))
  assert.match(batch.samples[3].error!.message, /belongs to another miner/)
  const text = JSON.stringify(api.received)
  for (const leak of [...sim.addresses.map((a) => hostPort(a).host), 'wallet.worker-8812', 'fullmode-pw', PASSPHRASE, 'stratum']) {
    assert.ok(!text.includes(leak), `${leak} was sent to the API`)
  }
  assert.ok(!lines.join('\n').includes(PASSPHRASE) && !lines.join('\n').includes('fullmode-pw'))
  assert.ok(lines.some((l) => /^1 miner\(s\) not polled \(miner-4\): Cannot decrypt connection_full block/.test(l)), lines.join('\n'))
  assert.deepEqual([...Deno.readDirSync(`${state.dir}/spool`)], [])
})

Deno.test('runCollector({once}) with the API down spools the batch, and the next run delivers it from the saved miners list', async () => {
  await using sim = await startSimulator({ miners: 3, baseAddress: randomLoopbackBase(), port: 0 })
  await using state = await tempStateDir()
  const { wrapped } = await testKeyring()
  let down = false
  await using api = startFakeApi({
    miners: { tenant_id: TENANT, site_id: SITE, miners: await siteOf(sim.addresses) }, keyring: wrapped,
    telemetry: () => (down ? 503 : 200), reads: () => (down ? 503 : 200),
  })
  const options = { stateDir: state.dir, device: device(api.url), passphrase: PASSPHRASE, once: true, timeoutMs: 2000, retryDelaysMs: [1], log: () => {} }
  // First run fetches the miners, then the API goes down for telemetry only.
  api.options.telemetry = () => 503
  const first = await runCollector(options)
  assert.equal(first.lastFlush?.pending, 1)
  assert.equal(api.stored.length, 0)
  // Second run: the API is down altogether; it polls from last_sync.json and spools again.
  down = true
  const lines: string[] = []
  const second = await runCollector({ ...options, log: (l) => lines.push(l) })
  assert.equal(second.minersKnown, true)
  assert.equal(second.lastFlush?.pending, 2)
  assert.ok(lines.includes('Using the miners and keyring saved at the last successful fetch'), lines.join('\n'))
  // Third run: back up; both batches arrive, oldest first, once each.
  down = false
  api.options.telemetry = () => 200
  const third = await runCollector(options)
  assert.deepEqual(third.lastFlush, { sent: 3, duplicates: 0, refused: 0, pending: 0 })
  const times = api.stored.map((b) => Date.parse(b.samples[0].at))
  assert.deepEqual(times, [...times].sort((x, y) => x - y))
  assert.equal(new Set(api.stored.map((b) => b.batch_id)).size, 3)
})

Deno.test('runCollector() stops with a clear revoked error when the API refuses the device token', async () => {
  await using state = await tempStateDir()
  await using api = startFakeApi({ token: 'the-new-token' })
  await assert.rejects(
    runCollector({ stateDir: state.dir, device: device(api.url), passphrase: PASSPHRASE, once: true, log: () => {} }),
    (error) => error instanceof ApiError && error.kind === 'revoked' && /Cannot fetch (miners|keyring): the API refused this device's token/.test(error.message),
  )
})

Deno.test('runCollector() keeps polling every interval until stopped, fetching the miners again every refreshEvery cycles', async () => {
  await using sim = await startSimulator({ miners: 1, baseAddress: randomLoopbackBase(), port: 0 })
  await using state = await tempStateDir()
  const { host, port } = hostPort(sim.addresses[0])
  let reads = 0
  await using api = startFakeApi({ miners: { tenant_id: TENANT, site_id: SITE, miners: [planA(1, host, port)] }, reads: () => (reads++, 200) })
  const controller = new AbortController()
  let cycles = 0
  const summary = await runCollector({
    stateDir: state.dir, device: device(api.url), intervalMs: 20, jitter: 0, refreshEvery: 2, signal: controller.signal,
    log: (l) => l.startsWith('Cycle') && ++cycles === 5 && controller.abort(),
  })
  assert.equal(summary.cycles, 5)
  assert.equal(api.stored.length, 5)
  // miners + keyring at start, and after cycles 2 and 4.
  assert.equal(reads, 6)
})
