import assert from 'node:assert/strict'
import { startSimulator } from '../../tests/sim/simulator.ts'
import { randomLoopbackBase } from '../testdata/loopback.ts'
import { parseAddress } from './address.ts'
import { CgminerClient, exchange, MinerError, type MinerErrorKind } from './client.ts'
import { encodeRequest } from './protocol.ts'

const COMMANDS = ['summary', 'pools', 'devs', 'stats']

Deno.test('CgminerClient.commands() splits a multi-command reply from every vendor shape', async () => {
  await using sim = await startSimulator({ miners: 5, baseAddress: randomLoopbackBase(), port: 0 })
  const client = new CgminerClient({ timeoutMs: 2000 })
  for (const address of sim.addresses) {
    const replies = await client.commands(parseAddress(address), COMMANDS)
    assert.deepEqual([...replies.keys()], COMMANDS)
    assert.equal(replies.get('summary')?.status?.status, 'S')
    assert.ok(Array.isArray(replies.get('summary')?.body.SUMMARY), address)
  }
  assert.equal(sim.connections(), 5, 'one connection per miner for the whole multi-command')
})

Deno.test('CgminerClient.commands() falls back to one command per connection and remembers the rejection', async () => {
  await using sim = await startSimulator({ miners: 1, baseAddress: randomLoopbackBase(), port: 0, faults: { 0: { rejectMulti: true } } })
  const client = new CgminerClient({ timeoutMs: 2000 })
  const address = parseAddress(sim.addresses[0])
  const first = await client.commands(address, COMMANDS)
  assert.deepEqual([...first.keys()], COMMANDS)
  assert.equal(first.get('pools')?.status?.status, 'S')
  assert.equal(client.rejectsMultiCommand(address), true)
  assert.equal(sim.connections(), 1 + COMMANDS.length)
  await client.commands(address, COMMANDS)
  assert.equal(sim.connections(), 1 + 2 * COMMANDS.length, 'the second poll skips the multi-command attempt')
})

Deno.test('CgminerClient.command() returns "No ASCs" as a STATUS E 10 reply instead of throwing', async () => {
  await using sim = await startSimulator({ miners: 1, baseAddress: randomLoopbackBase(), port: 0, faults: { 0: { noDevices: true } } })
  const reply = await new CgminerClient().command(parseAddress(sim.addresses[0]), 'devs')
  assert.equal(reply.status?.status, 'E')
  assert.equal(reply.status?.code, 10)
  assert.equal(reply.status?.msg, 'No ASCs')
})

Deno.test('CgminerClient.command() stops reading at the NUL when the miner keeps the socket open', async () => {
  await using sim = await startSimulator({ miners: 1, baseAddress: randomLoopbackBase(), port: 0, faults: { 0: { keepOpen: true } } })
  const started = performance.now()
  const reply = await new CgminerClient({ timeoutMs: 3000 }).command(parseAddress(sim.addresses[0]), 'summary')
  assert.equal(reply.status?.status, 'S')
  assert.ok(performance.now() - started < 1000, 'returned at the NUL, not at the timeout')
})

Deno.test('exchange() returns the text up to the first NUL, wherever the chunk ends', async () => {
  const listener = Deno.listen({ hostname: '127.0.0.1', port: 0 })
  const replies = ['{"a":1}\0', '{"b":2}\0junk\0', '{"c":3}\0junk']
  const served = (async () => {
    for (const reply of replies) {
      using conn = await listener.accept()
      await conn.read(new Uint8Array(1024))
      await conn.write(new TextEncoder().encode(reply))
    }
  })()
  const address = { hostname: '127.0.0.1', port: (listener.addr as Deno.NetAddr).port }
  const texts = []
  for (let i = 0; i < replies.length; i++) texts.push(await exchange(address, encodeRequest('summary'), { timeoutMs: 2000 }))
  await served
  listener.close()
  assert.deepEqual(texts, ['{"a":1}', '{"b":2}', '{"c":3}'])
})

Deno.test('CgminerClient.command() reads a reply that arrives in many small pieces', async () => {
  await using sim = await startSimulator({ baseAddress: randomLoopbackBase(), port: 0, miners: [{ vendor: 'antminer-s21', faults: { trickle: true } }] })
  const reply = await new CgminerClient({ timeoutMs: 5000 }).command(parseAddress(sim.addresses[0]), 'version')
  assert.equal((reply.body.VERSION as { Type: string }[])[0].Type, 'Antminer S21')
})

const failures: { name: string; faults: Record<string, unknown>; kind: MinerErrorKind; message: RegExp; maxMs: number }[] = [
  { name: 'a silent miner times out', faults: { silent: true }, kind: 'timeout', message: /^Cannot read reply from 127\.[\d.]+:\d+: timed out after 300 ms$/, maxMs: 1000 },
  { name: 'a slow miner times out', faults: { delayMs: 2000 }, kind: 'timeout', message: /timed out after 300 ms$/, maxMs: 1000 },
  { name: 'a reset connection', faults: { reset: true }, kind: 'reset', message: /^Cannot read reply from .*: connection reset$/, maxMs: 1000 },
  { name: 'garbage bytes', faults: { garbage: true }, kind: 'invalid', message: /^Cannot read reply from .*: Cannot parse miner reply: /, maxMs: 1000 },
  { name: 'a reply over the size cap', faults: { hugeReplyBytes: 200_000 }, kind: 'too-large', message: /reply exceeds 65536 bytes$/, maxMs: 1000 },
]

for (const { name, faults, kind, message, maxMs } of failures) {
  Deno.test(`CgminerClient.command() fails cleanly on ${name}`, async () => {
    await using sim = await startSimulator({ miners: 1, baseAddress: randomLoopbackBase(), port: 0, faults: { 0: faults } })
    const client = new CgminerClient({ timeoutMs: 300, maxReplyBytes: 65_536 })
    const started = performance.now()
    await assert.rejects(client.command(parseAddress(sim.addresses[0]), 'summary'), (error: unknown) => {
      assert.ok(error instanceof MinerError, String(error))
      assert.equal(error.kind, kind)
      assert.match(error.message, message)
      return true
    })
    assert.ok(performance.now() - started < maxMs)
  })
}

Deno.test('exchange() reports a refused connection on a loopback address with no miner', async () => {
  const sim = await startSimulator({ miners: 1, baseAddress: randomLoopbackBase(), port: 0 })
  const address = parseAddress(sim.addresses[0])
  await sim.close()
  await assert.rejects(exchange(address, encodeRequest('summary')), { name: 'MinerError', kind: 'refused', message: /^Cannot connect to .*: connection refused$/ })
})

Deno.test('exchange() is aborted by the caller signal', async () => {
  await using sim = await startSimulator({ miners: 1, baseAddress: randomLoopbackBase(), port: 0, faults: { 0: { silent: true } } })
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 50)
  await assert.rejects(exchange(parseAddress(sim.addresses[0]), encodeRequest('summary'), { signal: controller.signal }), { kind: 'timeout', message: /aborted$/ })
})
