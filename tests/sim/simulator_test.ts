import assert from 'node:assert/strict'
import { loopbackRange } from './addresses.ts'
import { startSimulator } from './simulator.ts'

const base = () => `127.${20 + Math.floor(Math.random() * 230)}.${Math.floor(Math.random() * 250)}.1`

async function ask(address: string, request: string | Uint8Array[]): Promise<string> {
  const [hostname, port] = address.split(':')
  using conn = await Deno.connect({ hostname, port: Number(port) })
  const encoder = new TextEncoder()
  for (const part of typeof request === 'string' ? [encoder.encode(request)] : request) {
    await conn.write(part)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const chunks: Uint8Array[] = []
  const buffer = new Uint8Array(65_536)
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) chunks.push(buffer.slice(0, n))
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])))
}

const refused = ['10.0.0.1', '192.168.1.10', '0.0.0.0', '128.0.0.1', '127.0.0', 'localhost']
for (const address of refused) {
  Deno.test(`startSimulator() refuses to bind the non-loopback address '${address}'`, async () => {
    await assert.rejects(startSimulator({ miners: 1, baseAddress: address, port: 0 }), {
      name: 'RangeError',
      message: `Cannot bind simulated miner to ${address}: only 127.0.0.0/8 is allowed`,
    })
  })
}

Deno.test('loopbackRange() skips .0 and .255 and refuses to leave 127.0.0.0/8', () => {
  assert.deepEqual(loopbackRange('127.1.0.254', 3), ['127.1.0.254', '127.1.1.1', '127.1.1.2'])
  assert.throws(() => loopbackRange('127.255.255.254', 2), RangeError)
})

Deno.test('the simulator answers one request per connection with one NUL and closes', async () => {
  await using sim = await startSimulator({ miners: 2, baseAddress: base(), port: 0 })
  const reply = await ask(sim.addresses[0], '{"command":"version"}')
  assert.equal(reply.indexOf('\0'), reply.length - 1)
  assert.equal(JSON.parse(reply.slice(0, -1)).VERSION[0].Type, 'Antminer S19 Pro')
})

Deno.test('the simulator refuses a request split across writes, as cgminer does', async () => {
  await using sim = await startSimulator({ miners: 1, baseAddress: base(), port: 0 })
  const encoder = new TextEncoder()
  const reply = await ask(sim.addresses[0], [encoder.encode('{"comm'), encoder.encode('and":"summary"}')])
  const status = JSON.parse(reply.slice(0, -1)).STATUS[0]
  assert.equal(status.STATUS, 'E')
  assert.equal(status.Code, 23)
})

Deno.test('the simulator puts the vendor quirks on the wire when dirty, and none when clean', async () => {
  await using dirty = await startSimulator({ miners: 5, baseAddress: base(), port: 0 })
  const stats = await ask(dirty.addresses[0], '{"command":"stats"}')
  assert.match(stats, /\}\{/)
  const avalon = await ask(dirty.addresses[4], '{"command":"summary"}')
  assert.match(avalon, /:nan[,}]/)
  await using clean = await startSimulator({ miners: 5, baseAddress: base(), port: 0, dirty: false })
  for (const address of clean.addresses) JSON.parse((await ask(address, '{"command":"summary+pools+devs+stats"}')).slice(0, -1))
})

Deno.test('the simulator gives the same numbers for the same seed and different ones per miner', async () => {
  const first = base()
  await using a = await startSimulator({ miners: 6, baseAddress: first, port: 0, seed: 7, dirty: false })
  const one = JSON.parse((await ask(a.addresses[0], '{"command":"summary"}')).slice(0, -1)).SUMMARY[0]
  const six = JSON.parse((await ask(a.addresses[5], '{"command":"summary"}')).slice(0, -1)).SUMMARY[0]
  await a.close()
  await using b = await startSimulator({ miners: 1, baseAddress: first, port: 0, seed: 7, dirty: false })
  const again = JSON.parse((await ask(b.addresses[0], '{"command":"summary"}')).slice(0, -1)).SUMMARY[0]
  assert.equal(again['GHS 5s'], one['GHS 5s'])
  assert.notEqual(six['GHS 5s'], one['GHS 5s'])
})

Deno.test('the simulator serves 2000 miners on distinct loopback addresses', async () => {
  await using sim = await startSimulator({ miners: 2000, baseAddress: base(), port: 0 })
  assert.equal(new Set(sim.addresses).size, 2000)
  const last = await ask(sim.addresses[1999], '{"command":"summary"}')
  assert.match(last, /"SUMMARY"/)
})
