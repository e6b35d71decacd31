/**
 * A polling thread (see `poll_threads.ts`): polls the share of a cycle it is sent and
 * answers with its telemetry. Its client lives as long as the thread, so the miners of
 * its share that reject the `a+b` form are remembered from cycle to cycle.
 */
/// <reference lib="deno.worker" />
import { CgminerClient } from './cgminer/client.ts'
import { pollCycle } from './poller.ts'
import type { ShardReply, ShardRequest } from './poll_threads.ts'

let client: CgminerClient | undefined
const running = new Map<number, AbortController>()

self.onmessage = async (event: MessageEvent<ShardRequest>) => {
  const request = event.data
  if (request.type === 'abort') return running.get(request.id)?.abort()
  const { id, targets, options } = request
  client ??= new CgminerClient({ timeoutMs: options.timeoutMs ?? 5000, connectTimeoutMs: options.connectTimeoutMs ?? options.timeoutMs ?? 5000 })
  const stop = new AbortController()
  running.set(id, stop)
  let reply: ShardReply
  try {
    reply = { id, telemetry: await pollCycle(targets, { ...options, client, signal: stop.signal }) }
  } catch (error) {
    reply = { id, error: error instanceof Error ? error.message : String(error) }
  } finally {
    running.delete(id)
  }
  self.postMessage(reply)
}
