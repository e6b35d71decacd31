import assert from 'node:assert/strict'
import { normalizeTelemetry } from './telemetry.ts'
import { fixtureReplies, fixtureText } from './testdata/fixtures.ts'

const meta = { address: '127.1.0.1:4028', polledAt: 1_700_000_000_000, latencyMs: 5 }

Deno.test('normalizeTelemetry() reads an Antminer S19 Pro (asic-rs v2020) in TH/s', () => {
  const t = normalizeTelemetry(fixtureReplies({
    summary: 'asic-rs__antminer_v2020_summary.json', pools: 'asic-rs__antminer_v2020_pools.json',
    devs: 'asic-rs__antminer_v2020_devs.json', stats: 'asic-rs__antminer_v2020_stats.json',
  }), meta)
  assert.equal(t.vendor, 'antminer')
  assert.equal(t.model, 'Antminer S19 Pro')
  assert.equal(t.firmware, '49.0.1.3')
  assert.equal(t.hashrateThs, 110.567)
  assert.equal(t.hashrateAvgThs, 111.835)
  assert.deepEqual([t.acceptedShares, t.rejectedShares, t.staleShares, t.hardwareErrors], [4057, 11, 1, 562])
  assert.deepEqual(t.chipTempsC, [78, 71, 69])
  assert.deepEqual(t.boardTempsC, [73, 66, 64])
  assert.deepEqual(t.fansRpm, [6000, 5880, 5040, 5040])
  assert.deepEqual(t.pool, { url: 'stratum+tcp://btc.global.luxor.tech:700', user: 'satokierepair.H04YK', status: 'Alive' })
  assert.equal(t.uptimeS, 50474)
  assert.equal(t.powerW, null)
  assert.equal(t.online, true)
  assert.deepEqual(t.warnings, [])
})

Deno.test('normalizeTelemetry() reads an Antminer S21 (proto-fleet) with chain_power and devs temperature', () => {
  const t = normalizeTelemetry(fixtureReplies({
    summary: 'proto-fleet__antminer_S21_summary.json', pools: 'proto-fleet__antminer_S21_pools.json',
    devs: 'proto-fleet__antminer_S21_devs.json', stats: 'proto-fleet__antminer_S21_stats.json',
    version: 'proto-fleet__antminer_S21_version.json',
  }), meta)
  assert.equal(t.model, 'Antminer S21')
  assert.equal(t.firmware, 'uart_trans.1.3')
  assert.equal(t.hashrateThs, 203.007)
  assert.equal(t.powerW, 3250)
  assert.deepEqual(t.boardTempsC, [65])
  assert.equal(t.pool?.url, 'stratum+tcp://stratum.braiins.com:3333')
})

Deno.test('normalizeTelemetry() converts Whatsminer v2 MH/s and reads its power and fans', () => {
  const t = normalizeTelemetry(fixtureReplies({
    summary: 'asic-rs__whatsminer_v2_summary.json', pools: 'asic-rs__whatsminer_v2_pools.json',
    devs: 'asic-rs__whatsminer_v2_devs.json',
  }), meta)
  assert.equal(t.vendor, 'whatsminer')
  assert.equal(t.hashrateThs, 124.5)
  assert.equal(t.hashrateAvgThs, 125)
  assert.equal(t.powerW, 3200)
  assert.deepEqual(t.fansRpm, [5400, 5280])
  assert.deepEqual(t.chipTempsC, [80, 81, 81])
  assert.deepEqual(t.boardTempsC, [65, 66, 67])
  assert.equal(t.ambientC, 28.5)
  assert.equal(t.rejectedShares, 0)
  assert.equal(t.pool?.user, 'asic-rs.test')
})

Deno.test('normalizeTelemetry() reads LuxOS stats alone (GH/s chains, temps, fans)', () => {
  const t = normalizeTelemetry(fixtureReplies({ stats: 'asic-rs__luxminer_v1_stats.json' }), meta)
  assert.equal(t.vendor, 'luxos')
  assert.equal(t.model, 'Antminer S19k Pro')
  assert.equal(t.firmware, '2025.4.8.220305')
  assert.equal(t.hashrateThs, 59.756)
  assert.deepEqual(t.fansRpm, [1920, 1920, 2340, 2340])
  assert.equal(t.uptimeS, 3453)
})

Deno.test('normalizeTelemetry() reads Avalon 1566 estats bracket strings', () => {
  const t = normalizeTelemetry(fixtureReplies({
    estats: 'pyasic__avalon1566_rpc_estats.json', pools: 'pyasic__avalon1566_rpc_pools.json',
    version: 'pyasic__avalon1566_rpc_version.json',
  }), meta)
  assert.equal(t.vendor, 'avalon')
  assert.equal(t.model, 'AvalonMiner 15-194')
  assert.equal(t.firmware, '24102401_25462b2_9ddf522')
  assert.equal(t.hashrateThs, 199.241)
  assert.equal(t.hashrateAvgThs, 184.007)
  assert.deepEqual(t.chipTempsC, [77, 78, 77])
  assert.equal(t.ambientC, 31)
  assert.deepEqual(t.fansRpm, [4275, 4282])
  assert.equal(t.powerW, 3731)
  assert.equal(t.uptimeS, 975)
})

Deno.test("normalizeTelemetry() reads the asic-rs Avalon 'MM ID0:Summary' and HBinfo variant", () => {
  const t = normalizeTelemetry(fixtureReplies({ stats: 'asic-rs__avalonminer_stats.json' }), meta)
  assert.equal(t.vendor, 'avalon')
  assert.equal(t.hashrateThs, 0)
  assert.equal(t.hashrateAvgThs, 44.499)
  assert.deepEqual(t.fansRpm, [0, 0, 0, 0])
  assert.equal(t.ambientC, 26)
})

Deno.test('normalizeTelemetry() reports "No ASCs" as a warning, not as offline', () => {
  const noAscs = '{"STATUS":[{"STATUS":"E","When":1,"Code":10,"Msg":"No ASCs","Description":"cgminer 4.11.1"}],"id":1}'
  const t = normalizeTelemetry(fixtureReplies({ summary: 'asic-rs__antminer_v2020_summary.json', devs: `text:${noAscs}` }), meta)
  assert.equal(t.online, true)
  assert.deepEqual(t.warnings, ['devs: No ASCs (E 10)'])
  assert.equal(t.hashrateThs, 110.567)
})

Deno.test('normalizeTelemetry() reads dirty wire variants the same as the clean fixtures', () => {
  const files = { summary: 'asic-rs__antminer_v2020_summary.json', stats: 'asic-rs__antminer_v2020_stats.json' }
  const clean = normalizeTelemetry(fixtureReplies(files), meta)
  const dirtyStats = JSON.stringify(JSON.parse(fixtureText(files.stats))).replaceAll('},{', '}{') + '\0'
  const dirty = normalizeTelemetry(fixtureReplies({ summary: files.summary, stats: `text:${dirtyStats}` }), meta)
  assert.deepEqual(dirty, clean)
})
