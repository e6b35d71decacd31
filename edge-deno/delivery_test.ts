import assert from 'node:assert/strict'
import { ApiClient, ApiError } from './api_client.ts'
import { Delivery, toBatches } from './delivery.ts'
import { unpolledSample } from './sample.ts'
import { Spool } from './spool.ts'
import { startFakeApi } from './testdata/fake_api.ts'
import { tempStateDir } from './testdata/temp_state.ts'

const MINER = '6f1c2a8e-0000-4000-8000-000000000001'
/** Samples numbered by their `at` (ms since the epoch), so order can be checked. */
const samples = (from: number, n: number) => Array.from({ length: n }, (_, i) => unpolledSample(MINER, from + i, 'config', 'no address'))
const numbers = (batches: { samples: { at: string }[] }[]) => batches.flatMap((b) => b.samples.map((s) => Date.parse(s.at)))

async function setUp(api: { url: string }, dir: string, spoolOptions = {}) {
  const lines: string[] = []
  const spool = await Spool.open(`${dir}/spool`, spoolOptions)
  const client = new ApiClient({ baseUrl: api.url, token: 'device-token', timeoutMs: 2000 })
  const delivery = new Delivery({ api: client, spool, log: (l) => lines.push(l), retryDelaysMs: [1, 1] })
  return { spool, delivery, lines }
}

Deno.test('Delivery delivers every sample exactly once and in order after the API answered 503 for a while', async () => {
  await using state = await tempStateDir()
  let down = true
  await using api = startFakeApi({ telemetry: () => (down ? 503 : 200) })
  const { spool, delivery, lines } = await setUp(api, state.dir)
  for (let cycle = 0; cycle < 4; cycle++) {
    await delivery.enqueue(samples(cycle * 10, 10))
    const result = await delivery.flush()
    assert.equal(result.pending, cycle + 1)
  }
  assert.equal(api.stored.length, 0)
  assert.ok(lines.some((l) => /HTTP 503.*4 telemetry batches kept in the spool/.test(l)), lines.join('\n'))
  down = false
  await delivery.enqueue(samples(40, 10))
  const result = await delivery.flush()
  assert.deepEqual(result, { sent: 5, duplicates: 0, refused: 0, pending: 0 })
  assert.deepEqual(numbers(api.stored), Array.from({ length: 50 }, (_, i) => i))
  assert.equal(spool.size, 0)
  assert.deepEqual([...Deno.readDirSync(`${state.dir}/spool`)], [])
})

Deno.test('Delivery writes a batch to the spool before sending it, so a batch sent before a crash is replayed as a harmless duplicate', async () => {
  await using state = await tempStateDir()
  await using api = startFakeApi()
  const { delivery } = await setUp(api, state.dir)
  await delivery.enqueue(samples(0, 3))
  // The crash: the batch went out, the process died before deleting it.
  const [file] = [...Deno.readDirSync(`${state.dir}/spool`)]
  await new ApiClient({ baseUrl: api.url, token: 'device-token' }).sendTelemetry(Deno.readTextFileSync(`${state.dir}/spool/${file.name}`))
  const restarted = await setUp(api, state.dir)
  assert.equal(restarted.spool.size, 1)
  assert.deepEqual(await restarted.delivery.flush(), { sent: 0, duplicates: 1, refused: 0, pending: 0 })
  assert.equal(api.received.length, 2)
  assert.equal(api.stored.length, 1)
  assert.equal(restarted.spool.size, 0)
})

Deno.test('Delivery drops a batch the API refuses with 400, logs why, and does not retry it', async () => {
  await using state = await tempStateDir()
  await using api = startFakeApi({ telemetry: (n) => (n === 0 ? 400 : 200) })
  const { delivery, lines, spool } = await setUp(api, state.dir)
  await delivery.enqueue(samples(0, 2))
  const refusedId = spool.oldest()!.batchId
  await delivery.enqueue(samples(2, 2))
  assert.deepEqual(await delivery.flush(), { sent: 1, duplicates: 0, refused: 1, pending: 0 })
  assert.equal(api.received.filter((b) => b.batch_id === refusedId).length, 1)
  assert.deepEqual(numbers(api.stored), [2, 3])
  assert.ok(lines.some((l) => l.includes(`Dropped telemetry batch ${refusedId}`) && l.includes('HTTP 400') && l.includes('hashrate_ths')), lines.join('\n'))
})

Deno.test('Delivery stops with a revoked ApiError on 401 and keeps the batch', async () => {
  await using state = await tempStateDir()
  await using api = startFakeApi({ token: 'another-token' })
  const { delivery, spool } = await setUp(api, state.dir)
  await delivery.enqueue(samples(0, 1))
  await assert.rejects(delivery.flush(), (error) => error instanceof ApiError && error.kind === 'revoked' && /revoked or unknown/.test(error.message))
  assert.equal(api.received.length, 0)
  assert.equal(spool.size, 1)
})

Deno.test('Delivery keeps batches in the spool while the API is unreachable', async () => {
  await using state = await tempStateDir()
  const { delivery, spool, lines } = await setUp({ url: 'http://127.0.0.1:9' }, state.dir)
  await delivery.enqueue(samples(0, 1))
  assert.deepEqual(await delivery.flush(), { sent: 0, duplicates: 0, refused: 0, pending: 1 })
  assert.equal(spool.size, 1)
  assert.match(lines.at(-1) ?? '', /^Cannot send telemetry: the API is unreachable .*1 telemetry batches kept in the spool/)
})

Deno.test('toBatches() splits at 5000 samples with distinct uuids', () => {
  const batches = toBatches(samples(0, 12_001))
  assert.deepEqual(batches.map((b) => b.samples.length), [5000, 5000, 2001])
  assert.equal(new Set(batches.map((b) => b.batch_id)).size, 3)
  assert.ok(batches.every((b) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(b.batch_id)))
})

Deno.test('Delivery logs how many of the oldest batches the full spool dropped, and later sends only the newest', async () => {
  await using state = await tempStateDir()
  let down = true
  await using api = startFakeApi({ telemetry: () => (down ? 503 : 200) })
  const { delivery, lines } = await setUp(api, state.dir, { maxBatches: 2 })
  for (let cycle = 0; cycle < 4; cycle++) await delivery.enqueue(samples(cycle, 1))
  assert.deepEqual(lines.filter((l) => l.startsWith('Spool full')), [
    'Spool full: dropped the 1 oldest telemetry batches (' + lines[0].match(/\((\d+) bytes/)![1] + ' bytes) to stay within its bound',
    lines[1],
  ])
  assert.equal(lines.length, 2)
  down = false
  await delivery.flush()
  assert.deepEqual(numbers(api.stored), [2, 3])
})
