import assert from 'node:assert/strict'
import { createCryptoService, createDeviceKeyPair, grantDataKey, sealCommand } from '../../e2ee/mod.ts'
import { startSimulator } from '../../tests/sim/simulator.ts'
import { parseAddress } from '../cgminer/address.ts'
import { randomLoopbackBase } from '../testdata/loopback.ts'
import { tempStateDir } from '../testdata/temp_state.ts'
import { startCommandRunner } from './start.ts'

const KID = 'CCCCCCCCCCCCCCCCCCCCCC'
const device = { api_url: '', device_id: 'device-1', tenant_id: 'tenant-1', site_id: 'site-1', token: 'device-token' }

Deno.test("startCommandRunner() opens commands with the device's key grant, without a passphrase", async () => {
  // Miner 3 of the simulator is LuxOS-shaped: the privileged cgminer API.
  await using sim = await startSimulator({ miners: 4, baseAddress: randomLoopbackBase(), port: 0 })
  await using state = await tempStateDir()
  const key = await createCryptoService().importDataKey(new Uint8Array(32).fill(7), KID, device.tenant_id, true)
  const pair = await createDeviceKeyPair()
  const grant = await grantDataKey(key, pair.publicKey, { tenantId: device.tenant_id, deviceId: device.device_id })
  const now = Date.now()
  const command = {
    command_id: crypto.randomUUID(), tenant: device.tenant_id, site: device.site_id, miner_ids: ['lux'], action: 'blink_led' as const,
    params: { on: true }, issued_at: new Date(now).toISOString(), expires_at: new Date(now + 60_000).toISOString(),
  }
  const queue = [{ id: command.command_id, site_id: device.site_id, action: command.action, miner_ids: command.miner_ids, expires_at: command.expires_at, sealed: await sealCommand(key, command) }]
  const reported = Promise.withResolvers<unknown>()
  await using server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, async (request) => {
    const path = new URL(request.url).pathname
    // Only the keyring's id matters with a grant: nothing is unwrapped with a passphrase.
    if (path === '/api/edge/keyring') return Response.json({ keyring: { kid: KID }, revision: 1 })
    if (path === '/api/edge/grant') return Response.json({ device_id: device.device_id, tenant_id: device.tenant_id, grant })
    if (path === '/api/edge/commands') {
      if (queue.length === 0) await new Promise((r) => setTimeout(r, 50))
      return Response.json({ commands: queue.splice(0) })
    }
    reported.resolve(await request.json())
    return Response.json({ id: command.command_id, status: 'done', recorded: 1 })
  })
  const stop = new AbortController()
  const runner = startCommandRunner({
    device: { ...device, api_url: `http://127.0.0.1:${server.addr.port}` }, stateDir: state.dir, devicePrivateKey: pair.privateKey, signal: stop.signal, log: () => {},
  })
  runner.onResolution({ targets: [{ id: 'lux', name: 'lux', address: parseAddress(sim.addresses[3]!), credentials: null }], unpolled: [] })
  assert.deepEqual(await reported.promise, { results: [{ miner_id: 'lux', status: 'ok' }] })
  stop.abort()
  await runner.done
  assert.equal(sim.controls[3]!.led, true)
})
