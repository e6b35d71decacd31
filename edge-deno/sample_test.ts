import assert from 'node:assert/strict'
import { offlineTelemetry, type MinerTelemetry } from './telemetry.ts'
import { scrubAddress, toSample, unpolledSample } from './sample.ts'

const MINER_ID = '6f1c2a8e-0000-4000-8000-000000000001'

function online(overrides: Partial<MinerTelemetry> = {}): MinerTelemetry {
  return {
    ...offlineTelemetry({ address: '127.9.8.7:4029', polledAt: Date.UTC(2026, 0, 2, 3, 4, 5), latencyMs: 12 }, 'x'),
    online: true, error: null, errorKind: null, vendor: 'antminer', model: 'Antminer S19', firmware: 'bmminer 1.0',
    hashrateThs: 95.2, hashrateAvgThs: 94.8, acceptedShares: 1200, rejectedShares: 3, staleShares: 1, hardwareErrors: 7,
    chipTempsC: [71, 73], boardTempsC: [60, 61], ambientC: 25, fansRpm: [5400, 5520.6], uptimeS: 86400, powerW: 3250,
    pool: { url: 'stratum+tcp://secret-pool.example:3333', user: 'wallet.worker-8812', status: 'Alive' },
    warnings: ['devs: No ASCs (E 10) at 127.9.8.7'],
    ...overrides,
  }
}

Deno.test('toSample() names the miner by id and carries no address or pool account', () => {
  const sample = toSample(MINER_ID, online())
  const json = JSON.stringify(sample)
  for (const secret of ['127.9.8.7', '4029', 'secret-pool', 'wallet.worker-8812', 'stratum']) assert.ok(!json.includes(secret), `${secret} in ${json}`)
  assert.equal(sample.miner_id, MINER_ID)
  assert.equal(sample.at, '2026-01-02T03:04:05.000Z')
  assert.equal(sample.pool_status, 'Alive')
  assert.equal(sample.hashrate_ths, 95.2)
  assert.deepEqual(sample.fans_rpm, [5400, 5521])
  assert.deepEqual(sample.warnings, ['devs: No ASCs (E 10) at the miner'])
  assert.equal(sample.error, null)
  assert.deepEqual(Object.keys(sample).sort(), [
    'accepted_shares', 'ambient_c', 'at', 'board_temps_c', 'chip_temps_c', 'error', 'fans_rpm', 'firmware', 'hardware_errors',
    'hashrate_avg_ths', 'hashrate_ths', 'miner_id', 'model', 'online', 'pool_status', 'power_w', 'rejected_shares', 'stale_shares',
    'uptime_s', 'warnings',
  ])
})

Deno.test('toSample() keeps the MinerError kind and scrubs the address from the message', async (t) => {
  const cases = [
    { kind: 'refused', message: 'Cannot connect to 127.9.8.7:4029: connection refused', want: 'Cannot connect to the miner: connection refused' },
    { kind: 'timeout', message: 'Cannot read reply from 127.9.8.7:4029: timed out after 400 ms', want: 'Cannot read reply from the miner: timed out after 400 ms' },
    { kind: 'reset', message: 'Cannot read reply from [fd00::7]:4029: connection reset', want: 'Cannot read reply from the miner: connection reset', address: '[fd00::7]:4029' },
    { kind: 'unreachable', message: 'Cannot connect to 127.9.8.7:4029: No route to host (os error 113) via 10.0.0.1', want: 'Cannot connect to the miner: No route to host (os error 113) via <address>' },
    { kind: 'invalid', message: 'Cannot read reply from miner-07.farm.lan:4028: bad JSON', want: 'Cannot read reply from the miner: bad JSON', address: 'miner-07.farm.lan:4028' },
  ] as const
  for (const c of cases) {
    await t.step(c.kind, () => {
      const address = 'address' in c ? c.address : '127.9.8.7:4029'
      const telemetry = offlineTelemetry({ address, polledAt: 0, latencyMs: 1 }, c.message, c.kind)
      const sample = toSample(MINER_ID, telemetry)
      assert.equal(sample.online, false)
      assert.deepEqual(sample.error, { kind: c.kind, message: c.want })
    })
  }
})

Deno.test('toSample() turns readings outside the API schema into null instead of getting the batch refused', () => {
  const sample = toSample(MINER_ID, online({
    hashrateThs: -5, ambientC: 900, acceptedShares: -1, uptimeS: 12.6, chipTempsC: [70, 4000, NaN],
    fansRpm: Array.from({ length: 20 }, () => 1000), model: 'M'.repeat(100), warnings: Array.from({ length: 30 }, () => 'w'.repeat(500)),
  }))
  assert.equal(sample.hashrate_ths, null)
  assert.equal(sample.ambient_c, null)
  assert.equal(sample.accepted_shares, null)
  assert.equal(sample.uptime_s, 13)
  assert.deepEqual(sample.chip_temps_c, [70])
  assert.equal(sample.fans_rpm.length, 16)
  assert.equal(sample.model?.length, 80)
  assert.equal(sample.warnings.length, 20)
  assert.ok(sample.warnings.every((w) => w.length <= 200))
})

Deno.test('scrubAddress() removes every IP-shaped text the API would refuse', () => {
  const apiCheck = /\b\d{1,3}(?:\.\d{1,3}){3}\b|\[?[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}\]?/i
  for (const text of ['seen 192.168.1.20 and fe80::1', 'at 10.0.0.5:4028', 'via [2001:db8::5]:4028 then 1.2.3.4']) {
    assert.ok(!apiCheck.test(scrubAddress(text)), scrubAddress(text))
  }
  assert.equal(scrubAddress('Cannot connect to 127.1.0.50:4028', '127.1.0.5:4028'), 'Cannot connect to <address>')
})

Deno.test('unpolledSample() reports a miner the edge could not poll as offline with its kind', () => {
  const sample = unpolledSample(MINER_ID, 0, 'decrypt', 'Cannot decrypt credentials block: wrong passphrase')
  assert.equal(sample.online, false)
  assert.deepEqual(sample.error, { kind: 'decrypt', message: 'Cannot decrypt credentials block: wrong passphrase' })
  assert.equal(sample.hashrate_ths, null)
})
