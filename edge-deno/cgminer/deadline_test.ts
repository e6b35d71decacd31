import assert from 'node:assert/strict'
import { after, startDeadline, ticking } from './_deadline.ts'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

Deno.test('deadlines on the shared clock fire once each, in time, and cancelled ones never', async () => {
  const started = performance.now()
  const fired: [number, number][] = []
  const alarms = [30, 60, 90, 120].map((ms) => after(ms, () => fired.push([ms, performance.now() - started])))
  alarms[1]!.cancel()
  await sleep(200)
  assert.deepEqual(fired.map(([ms]) => ms), [30, 90, 120])
  for (const [ms, at] of fired) assert.ok(at >= ms, `the ${ms} ms deadline fired early, at ${at.toFixed(1)} ms`)
  // The last one to fire stopped the interval; cancelling fired ones is harmless.
  assert.equal(ticking(), false)
  for (const alarm of alarms) alarm.cancel()
})

Deno.test('startDeadline() aborts with a TimeoutError when due, or with the outer reason first', async () => {
  {
    using deadline = startDeadline(20)
    await sleep(80)
    assert.equal(deadline.signal.reason?.name, 'TimeoutError')
  }
  const outer = new AbortController()
  using deadline = startDeadline(10_000, outer.signal)
  outer.abort(new Error('stopping'))
  assert.equal(deadline.signal.reason?.message, 'stopping')
})

Deno.test('the interval runs only while a deadline is armed', () => {
  const kept = startDeadline(60_000)
  for (let i = 0; i < 1000; i++) {
    using deadline = startDeadline(60_000)
    assert.equal(deadline.signal.aborted, false)
  }
  assert.equal(ticking(), true)
  kept[Symbol.dispose]()
  assert.equal(ticking(), false)
})
