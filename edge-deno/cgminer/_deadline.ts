/**
 * A deadline signal whose timer is cleared on dispose. `AbortSignal.timeout()` cannot
 * be cancelled, so at 10 000 miners per cycle its timers would pile up for their
 * whole duration; this keeps memory flat.
 */
import { onAbort } from './_on_abort.ts'

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
  const timer = setTimeout(() => controller.abort(new DOMException('Signal timed out.', 'TimeoutError')), ms)
  let stopWaiting: (() => void) | undefined
  if (outer?.aborted) onOuter()
  else if (outer) stopWaiting = onAbort(outer, onOuter)
  return {
    signal: controller.signal,
    [Symbol.dispose]() {
      clearTimeout(timer)
      stopWaiting?.()
    },
  }
}
