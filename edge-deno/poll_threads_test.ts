import assert from 'node:assert/strict'
import { startSimulator } from '../tests/sim/simulator.ts'
import { PollThreads } from './poll_threads.ts'
import { pollCycle } from './poller.ts'
import { randomLoopbackBase } from './testdata/loopback.ts'

Deno.test('a cycle on three threads gives every miner its telemetry, in the order of the targets', async () => {
  await using sim = await startSimulator({ miners: 23, baseAddress: randomLoopbackBase(), port: 0, faults: { 4: { garbage: true } } })
  using threads = new PollThreads(3)
  const shared = await threads.cycle(sim.addresses, { concurrency: 6, timeoutMs: 2000 })
  const alone = await pollCycle(sim.addresses, { concurrency: 6, timeoutMs: 2000 })
  assert.deepEqual(shared.map((t) => t.address), sim.addresses)
  const summary = (t: (typeof alone)[number]) => [t.address, t.online, t.vendor, t.model, t.fansRpm.length, t.pool?.url]
  assert.deepEqual(shared.map(summary), alone.map(summary))
  assert.deepEqual(shared.filter((t) => !t.online).map((t) => t.address), [sim.addresses[4]])
  // The Workers are kept for the next cycle.
  assert.deepEqual((await threads.cycle(sim.addresses, { concurrency: 6, timeoutMs: 2000 })).map(summary), alone.map(summary))
})

Deno.test('a thread that cannot start (its module missing, as from a build without it) loses nothing: its share is polled on this one, and said so once', async () => {
  await using sim = await startSimulator({ miners: 8, baseAddress: randomLoopbackBase(), port: 0 })
  const said: string[] = []
  using threads = new PollThreads(2, (line) => said.push(line), new URL('./testdata/no_such_worker.ts', import.meta.url).href)
  const telemetry = await threads.cycle(sim.addresses, { concurrency: 4, timeoutMs: 2000 })
  assert.deepEqual(telemetry.map((t) => [t.address, t.online]), sim.addresses.map((a) => [a, true]))
  assert.equal(said.length, 1)
  assert.match(said[0]!, /^Cannot poll on thread 2: the polling thread failed: .*; polling its 4 miners on the main thread \(so from now on\)$/)
  // It is not started again for every cycle.
  const next = await threads.cycle(sim.addresses, { concurrency: 4, timeoutMs: 2000 })
  assert.deepEqual(next.map((t) => [t.address, t.online]), sim.addresses.map((a) => [a, true]))
  assert.equal(said.length, 1)
})

Deno.test('a thread that stops mid-run loses nothing, and a new one polls the next cycle', async () => {
  await using sim = await startSimulator({ miners: 6, baseAddress: randomLoopbackBase(), port: 0 })
  const said: string[] = []
  using threads = new PollThreads(2, (line) => said.push(line), new URL('./testdata/crashing_poll_worker.ts', import.meta.url).href)
  const everyone = sim.addresses.map((a) => [a, true])
  for (let cycle = 1; cycle <= 4; cycle++) {
    const telemetry = await threads.cycle(sim.addresses, { concurrency: 4, timeoutMs: 2000 })
    assert.deepEqual(telemetry.map((t) => [t.address, t.online]), everyone, `cycle ${cycle}`)
  }
  // Cycle 1 on the first thread, cycle 2 here after it crashed, cycle 3 on a new thread,
  // which crashes in cycle 4 as well: two crashes mean the new thread did start.
  assert.equal(said.length, 2)
  for (const line of said) {
    assert.match(line, /^Cannot poll on thread 2: the polling thread failed: .*crashed; polling its 3 miners on the main thread \(a new thread starts for the next cycle\)$/)
  }
})

Deno.test("stopping a cycle stops every thread's polls, not only this one's", async () => {
  const silent = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [i, { silent: true }]))
  await using sim = await startSimulator({ miners: 6, baseAddress: randomLoopbackBase(), port: 0, faults: silent })
  using threads = new PollThreads(2)
  const stop = new AbortController()
  setTimeout(() => stop.abort(), 300)
  const started = performance.now()
  const telemetry = await threads.cycle(sim.addresses, { concurrency: 6, timeoutMs: 30_000, signal: stop.signal })
  const elapsed = performance.now() - started
  assert.ok(elapsed < 10_000, `the cycle went on for ${Math.round(elapsed)} ms after the stop`)
  assert.deepEqual(telemetry.map((t) => [t.address, t.online, t.errorKind]), sim.addresses.map((a) => [a, false, 'timeout']))
})
