/**
 * Deadlines for exchanges in flight, all kept by one timer.
 *
 * In this Deno a timer is Node's `Timeout` (an object with an async id, in a timer
 * list): arming and clearing one took 3–5 µs (measured warm; up to 12 µs in a cold
 * profile), and an exchange armed two. Here a deadline is an entry in a set, and one
 * interval, running only while deadlines are armed, fires those that are due. A
 * deadline fires up to `TICK_MS` late, which is nothing against timeouts of seconds.
 *
 * `AbortSignal.timeout()` is no alternative: it cannot be cancelled, so at 10 000
 * miners per cycle its timers would pile up for their whole duration.
 */
import { onAbort } from './_on_abort.ts'

const TICK_MS = 20

/** An armed deadline; cancel it when the work it bounds has ended. */
export interface Alarm {
  cancel(): void
}

class Entry implements Alarm {
  constructor(readonly at: number, readonly fire: () => void) {}
  cancel(): void {
    armed.delete(this)
    if (armed.size === 0) stopTicking()
  }
}

const armed = new Set<Entry>()
let ticker: ReturnType<typeof setInterval> | undefined

function stopTicking(): void {
  clearInterval(ticker)
  ticker = undefined
}

function tick(): void {
  const now = performance.now()
  for (const entry of armed) {
    if (entry.at > now) continue
    armed.delete(entry)
    entry.fire()
  }
  if (armed.size === 0) stopTicking()
}

/** True while a deadline is armed, i.e. while the interval runs. */
export function ticking(): boolean {
  return ticker !== undefined
}

/** Calls `fire` once, `ms` from now, unless cancelled first. */
export function after(ms: number, fire: () => void): Alarm {
  const entry = new Entry(performance.now() + ms, fire)
  armed.add(entry)
  ticker ??= setInterval(tick, TICK_MS)
  return entry
}

export interface Deadline extends Disposable {
  readonly signal: AbortSignal
}

/**
 * Aborts with a `TimeoutError` DOMException after `ms`, or when `outer` aborts.
 * @example using deadline = startDeadline(2000, callerSignal)
 */
export function startDeadline(ms: number, outer?: AbortSignal): Deadline {
  const controller = new AbortController()
  const onOuter = () => controller.abort(outer?.reason)
  const alarm = after(ms, () => controller.abort(new DOMException('Signal timed out.', 'TimeoutError')))
  let stopWaiting: (() => void) | undefined
  if (outer?.aborted) onOuter()
  else if (outer) stopWaiting = onAbort(outer, onOuter)
  return {
    signal: controller.signal,
    [Symbol.dispose]() {
      alarm.cancel()
      stopWaiting?.()
    },
  }
}
