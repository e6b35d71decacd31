import assert from 'node:assert/strict'
import { startSimulator } from '../tests/sim/simulator.ts'
import { mapPool, pollCycle, pollLoop } from './poller.ts'
import type { MinerTelemetry } from './telemetry.ts'
import { randomLoopbackBase } from './testdata/loopback.ts'

Deno.test('pollCycle() returns telemetry for every miner in input order', async () => {
  await using sim = await startSimulator({ miners: 10, baseAddress: randomLoopbackBase(), port: 0 })
  const telemetry = await pollCycle(sim.addresses, { concurrency: 4, timeoutMs: 2000 })
  assert.deepEqual(telemetry.map((t) => t.address), sim.addresses)
  assert.ok(telemetry.every((t) => t.online && t.hashrateThs !== null && t.hashrateThs > 10), JSON.stringify(telemetry.map((t) => t.hashrateThs)))
  assert.deepEqual(new Set(telemetry.map((t) => t.vendor)), new Set(['antminer', 'whatsminer', 'luxos', 'avalon']))
})

Deno.test('pollCycle() with a dead and a silent miner finishes within the timeout', async () => {
  await using sim = await startSimulator({ miners: 20, baseAddress: randomLoopbackBase(), port: 0, faults: { 3: { silent: true }, 7: { delayMs: 5000 }, 11: { garbage: true } } })
  const dead = sim.addresses[0].replace(/^(127\.\d+\.\d+)\.\d+/, '$1.250')
  const started = performance.now()
  const telemetry = await pollCycle([...sim.addresses, dead], { concurrency: 8, timeoutMs: 400 })
  const elapsed = performance.now() - started
  assert.ok(elapsed < 1000, `cycle took ${elapsed} ms`)
  const offline = telemetry.filter((t) => !t.online).map((t) => t.address)
  assert.deepEqual(offline, [sim.addresses[3], sim.addresses[7], sim.addresses[11], dead])
  assert.match(telemetry[3].error ?? '', /timed out after 400 ms$/)
  assert.match(telemetry[20].error ?? '', /connection refused$/)
})

Deno.test('mapPool() never runs more than the cap at once', async () => {
  let running = 0
  let peak = 0
  const out = await mapPool(Array.from({ length: 50 }, (_, i) => i), 5, async (n) => {
    peak = Math.max(peak, ++running)
    await new Promise((resolve) => setTimeout(resolve, 1))
    running--
    return n * 2
  })
  assert.equal(peak, 5)
  assert.deepEqual(out.slice(0, 3), [0, 2, 4])
})

Deno.test('pollLoop() without a connect timeout connects within the poll timeout and stops right after an abort in onCycle', async () => {
  await using sim = await startSimulator({ miners: 8, baseAddress: randomLoopbackBase(), port: 0 })
  const controller = new AbortController()
  const started = performance.now()
  let seen: MinerTelemetry[] = []
  await pollLoop(() => sim.addresses, {
    timeoutMs: 2000, intervalMs: 60_000, signal: controller.signal,
    onCycle(telemetry) {
      seen = telemetry
      controller.abort()
    },
  })
  assert.ok(performance.now() - started < 5000, 'waited for the interval after the abort')
  assert.deepEqual(seen.map((t) => t.error), seen.map(() => null))
})
