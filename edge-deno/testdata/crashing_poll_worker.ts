/// <reference lib="deno.worker" />
// A polling thread that answers its first request as the real one does, then fails (poll_threads_test.ts).
import '../poll_worker.ts'

const real = self.onmessage!
let requests = 0
self.onmessage = (event: MessageEvent) => {
  if (event.data.type === 'poll' && ++requests > 1) throw new Error('this polling thread crashed')
  return real.call(self, event)
}
