import assert from 'node:assert/strict'
import { onAbort } from './_on_abort.ts'

Deno.test('onAbort() calls, once, every callback still waiting when the shared signal aborts', () => {
  const controller = new AbortController()
  const called: number[] = []
  const stops = Array.from({ length: 300 }, (_, i) => onAbort(controller.signal, () => called.push(i)))
  for (let i = 0; i < 300; i += 2) stops[i]!()
  controller.abort()
  controller.abort()
  assert.deepEqual(called, Array.from({ length: 150 }, (_, i) => 2 * i + 1))
  // A later signal of the same kind starts its own list.
  const next = new AbortController()
  let late = 0
  onAbort(next.signal, () => late++)
  next.abort()
  assert.equal(late, 1)
})
