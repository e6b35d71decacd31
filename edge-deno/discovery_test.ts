import assert from 'node:assert/strict'
import { startSimulator } from '../tests/sim/simulator.ts'
import { checkScanRange, parseCidr } from './cidr.ts'
import { scan } from './discovery.ts'

Deno.test('scan() finds exactly the simulated miners in a 127.x /24 and identifies them', async () => {
  const b = 20 + Math.floor(Math.random() * 230)
  const c = Math.floor(Math.random() * 250)
  await using sim = await startSimulator({ miners: 6, baseAddress: `127.${b}.${c}.10`, port: 0, faults: { 5: { garbage: true } } })
  const found = await scan(`127.${b}.${c}.0/24`, { port: sim.port, probeTimeoutMs: 500, identifyTimeoutMs: 2000 })
  assert.deepEqual(found.map((f) => f.address), sim.addresses)
  assert.deepEqual(found.slice(0, 5).map((f) => f.model), ['Antminer S19 Pro', 'Antminer S21', 'Whatsminer', 'Antminer S19k Pro', 'AvalonMiner 15-194'])
  assert.equal(found[3].vendor, 'luxos')
  assert.equal(found[2].firmware, '20220216.22.Rel')
  assert.match(found[5].error ?? '', /Cannot parse miner reply/)
})

const refusals = [
  { cidr: '10.0.0.0/24', message: /^Cannot scan 10\.0\.0\.0\/24: it is outside 127\.0\.0\.0\/8/ },
  { cidr: '192.168.1.0/24', message: /outside 127\.0\.0\.0\/8/ },
  { cidr: '0.0.0.0/0', message: /outside 127\.0\.0\.0\/8/ },
  { cidr: '127.0.0.0/8', message: /^Cannot scan 127\.0\.0\.0\/8: 16777214 hosts is more than the cap of 65534$/ },
  { cidr: '127.1.0.0/33', message: /^Cannot parse range '127\.1\.0\.0\/33': prefix must be 0-32$/ },
  { cidr: 'farm.local/24', message: /is not an IPv4 address$/ },
]

for (const { cidr, message } of refusals) {
  Deno.test(`scan() refuses '${cidr}' before any connection`, async () => {
    await assert.rejects(scan(cidr), { name: 'RangeError', message })
  })
}

Deno.test('checkScanRange() lets an explicit flag through for a non-loopback range, without scanning', () => {
  assert.equal(checkScanRange('10.0.0.0/30', { allowNonLoopback: true }).hosts, 2)
  assert.deepEqual(parseCidr('127.5.6.7/24'), { network: 0x7f050600, prefix: 24, hosts: 254 })
})
