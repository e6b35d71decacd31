import assert from 'node:assert/strict'
import { startSimulator } from '../../tests/sim/simulator.ts'
import { deviceFingerprint, grantDataKey } from '../../e2ee/mod.ts'
import { main } from '../main.ts'
import { startFakeApi } from '../testdata/fake_api.ts'
import { randomLoopbackBase } from '../testdata/loopback.ts'
import { minerId, PASSPHRASE, planA, planB, SITE, TENANT, testKeyring } from '../testdata/miners.ts'
import { tempStateDir } from '../testdata/temp_state.ts'

const TOKEN = 'edt_secret-device-token-5521'
const DEVICE = { device_id: '44444444-4444-4444-8444-444444444444', tenant_id: TENANT, site_id: SITE, token: TOKEN }

/** Runs the CLI and captures what it prints. */
async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const printed: string[] = []
  const { log, error } = console
  console.log = (...parts: unknown[]) => printed.push(parts.join(' '))
  console.error = console.log
  try {
    return { code: await main(args), out: printed.join('\n') }
  } finally {
    Object.assign(console, { log, error })
  }
}

Deno.test('enroll stores the device in the state dir with mode 0600 and never prints the token', async () => {
  await using state = await tempStateDir()
  await using api = startFakeApi({ enroll: { 'ABCDE-FGHJK': DEVICE } })
  const dir = `${state.dir}/edge`
  const { code, out } = await cli(['enroll', 'ABCDE-FGHJK', '--api', api.url, '--state-dir', dir])
  assert.equal(code, 0, out)
  assert.match(out, /^Enrolled device 44444444-4444-4444-8444-444444444444 for site 22222222/)
  assert.ok(!out.includes(TOKEN))
  assert.deepEqual(JSON.parse(Deno.readTextFileSync(`${dir}/device.json`)), { api_url: api.url, ...DEVICE })
  if (Deno.build.os !== 'windows') {
    assert.equal(Deno.statSync(`${dir}/device.json`).mode! & 0o777, 0o600)
    assert.equal(Deno.statSync(dir).mode! & 0o777, 0o700)
  }
  // The key pair: the private half only on disk (0600), the public half sent, its fingerprint printed.
  const key = JSON.parse(Deno.readTextFileSync(`${dir}/device_key.json`))
  assert.deepEqual(api.enrollments[0]?.public_key, key.public_key)
  assert.equal(await deviceFingerprint(key.public_key), key.fingerprint)
  assert.match(out, new RegExp(`Device key fingerprint: ${key.fingerprint} `))
  assert.ok(!out.includes(key.private_key.d))
  if (Deno.build.os !== 'windows') assert.equal(Deno.statSync(`${dir}/device_key.json`).mode! & 0o777, 0o600)
  const again = await cli(['enroll', 'ABCDE-FGHJK', '--api', api.url, '--state-dir', `${state.dir}/other`])
  assert.deepEqual([again.code, again.out], [1, 'Cannot enroll: HTTP 401 (This enrolment code is unknown, already used or expired; ask for a new one)'])
})

Deno.test('run --once polls, delivers and exits 0; run after the device is revoked exits 3 saying so', async () => {
  await using sim = await startSimulator({ miners: 2, baseAddress: randomLoopbackBase(), port: 0 })
  await using state = await tempStateDir()
  const { wrapped } = await testKeyring()
  const [a, b] = sim.addresses.map((x) => ({ host: x.slice(0, x.lastIndexOf(':')), port: Number(x.slice(x.lastIndexOf(':') + 1)) }))
  const miners = [planA(1, a.host, a.port), await planB(2, { ip_address: b.host, port: b.port })]
  await using api = startFakeApi({ token: TOKEN, enroll: { 'ABCDE-FGHJK': DEVICE }, miners: { tenant_id: TENANT, site_id: SITE, miners }, keyring: wrapped })
  const passphraseFile = `${state.dir}/passphrase`
  Deno.writeTextFileSync(passphraseFile, PASSPHRASE + '\n', { mode: 0o600 })
  assert.equal((await cli(['enroll', 'ABCDE-FGHJK', '--api', api.url, '--state-dir', state.dir])).code, 0)

  const run = await cli(['run', '--once', '--state-dir', state.dir, '--passphrase-file', passphraseFile, '--timeout', '2000'])
  assert.equal(run.code, 0, run.out)
  assert.match(run.out, /Cycle 1: 2\/2 miners online in \d+ ms, 0 not polled; batches sent 1/)
  assert.deepEqual(api.stored[0].samples.map((s) => [s.miner_id, s.online]), [[minerId(1), true], [minerId(2), true]])
  for (const secret of [TOKEN, PASSPHRASE, b.host]) assert.ok(!run.out.includes(secret), `${secret} printed`)

  api.options.token = 'rotated'
  const revoked = await cli(['run', '--once', '--state-dir', state.dir, '--passphrase-file', passphraseFile])
  assert.equal(revoked.code, 3)
  assert.match(revoked.out, /^Stopped: Cannot fetch (miners|keyring): the API refused this device's token \(revoked or unknown; enrol again\), HTTP 401/m)
})

Deno.test('run --once with a key grant and no passphrase decrypts v2 miners and polls them', async () => {
  await using sim = await startSimulator({ miners: 2, baseAddress: randomLoopbackBase(), port: 0 })
  await using state = await tempStateDir()
  const { wrapped, key } = await testKeyring()
  const [a, b] = sim.addresses.map((x) => ({ host: x.slice(0, x.lastIndexOf(':')), port: Number(x.slice(x.lastIndexOf(':') + 1)) }))
  const miners = [await planB(1, { ip_address: a.host, port: a.port }), await planB(2, { ip_address: b.host, port: b.port })]
  await using api = startFakeApi({ token: TOKEN, enroll: { 'ABCDE-FGHJK': DEVICE }, miners: { tenant_id: TENANT, site_id: SITE, miners }, keyring: wrapped })
  assert.equal((await cli(['enroll', 'ABCDE-FGHJK', '--api', api.url, '--state-dir', state.dir])).code, 0)
  const without = await cli(['run', '--once', '--state-dir', state.dir, '--timeout', '2000'])
  assert.match(without.out, /2 miner\(s\) not polled .*no key grant/)

  // The owner's device grants the data key to the public key the device sent.
  const publicKey = api.enrollments[0]!.public_key as Parameters<typeof grantDataKey>[1]
  api.options.grant = await grantDataKey(key, publicKey, { tenantId: TENANT, deviceId: DEVICE.device_id })
  const run = await cli(['run', '--once', '--state-dir', state.dir, '--timeout', '2000'])
  assert.equal(run.code, 0, run.out)
  assert.match(run.out, /using this device's key grant/)
  assert.match(run.out, /Cycle 1: 2\/2 miners online in \d+ ms, 0 not polled/)
  for (const secret of [TOKEN, a.host, b.host]) assert.ok(!run.out.includes(secret), `${secret} printed`)
})

Deno.test('run without an enrolment says how to enrol', async () => {
  await using state = await tempStateDir()
  const { code, out } = await cli(['run', '--once', '--state-dir', state.dir])
  assert.equal(code, 1)
  assert.match(out, /^Cannot run: this collector is not enrolled .*; run 'enroll <code> --api <url>' first$/)
})

Deno.test('every command answers --help with its usage and exit code 0', async () => {
  for (const name of ['check', 'scan', 'run', 'enroll']) {
    const { code, out } = await cli([name, '--help'])
    assert.equal(code, 0, name)
    assert.match(out, new RegExp(`^Usage: edge-deno ${name}`))
  }
})

Deno.test('run and enroll refuse a bad setting with a message naming it', async () => {
  assert.deepEqual(await cli(['run', '--interval=5', '--state-dir', '/nonexistent']), { code: 1, out: "Cannot use --interval '5': expected an integer, at least 100" })
  assert.deepEqual(await cli(['enroll', 'ABCDE-FGHJK', '--state-dir', '/nonexistent', '--api', 'ftp://x']), { code: 1, out: "Cannot use API URL 'ftp://x': expected http or https" })
})
