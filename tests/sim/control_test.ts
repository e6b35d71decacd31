import assert from 'node:assert/strict'
import { parseAddress } from '../../edge-deno/cgminer/address.ts'
import { CgminerClient } from '../../edge-deno/cgminer/client.ts'
import { DigestAuthError, digestRequest } from '../../edge-deno/control/digest.ts'
import { MinerHttp } from '../../edge-deno/control/miner_http.ts'
import { startSimulator } from './simulator.ts'

// Miners in vendor order: 0 antminer-s19, 1 antminer-s21, 2 whatsminer-v2, 3 luxos, 4 avalon-1566.
const base = () => `127.${20 + Math.floor(Math.random() * 230)}.${Math.floor(Math.random() * 250)}.1`
const client = new CgminerClient({ timeoutMs: 2000 })
// deno-lint-ignore no-explicit-any
const ask = async (address: string, command: string, parameter?: string): Promise<any> => (await client.command(parseAddress(address), command, parameter)).body
const status = async (address: string, command: string, parameter?: string) => {
  const s = (await ask(address, command, parameter)).STATUS[0]
  return `${s.STATUS} ${s.Code} ${s.Msg}`
}
const elapsed = async (address: string) => (await ask(address, 'summary')).SUMMARY[0].Elapsed
const activePool = async (address: string) => (await ask(address, 'pools')).POOLS.filter((p: { 'Stratum Active': boolean }) => p['Stratum Active']).map((p: { URL: string }) => p.URL)

Deno.test('a LuxOS miner takes pools, curtail, LED, restart and reboot over the privileged API and shows them in later replies', async () => {
  await using sim = await startSimulator({ miners: 5, baseAddress: base(), port: 0 })
  const lux = sim.addresses[3]
  const before = (await ask(lux, 'pools')).POOLS.length
  assert.ok(await elapsed(lux) > 1000)
  assert.match(await status(lux, 'addpool', 'stratum+tcp://new.example:3333,farm.w1,pw\\,with comma'), /^S 55 Added pool/)
  assert.match(await status(lux, 'switchpool', String(before)), /^S/)
  for (let i = before - 1; i >= 0; i--) assert.match(await status(lux, 'removepool', String(i)), /^S/)
  const pools = (await ask(lux, 'pools')).POOLS
  assert.deepEqual(pools.map((p: { URL: string; User: string }) => [p.URL, p.User]), [['stratum+tcp://new.example:3333', 'farm.w1']])
  assert.equal(sim.controls[3].pools![0].password, 'pw,with comma')
  assert.doesNotMatch(JSON.stringify(pools), /with comma/)
  assert.match(await status(lux, 'removepool', '0'), /^E 67 Cannot remove active pool/)

  assert.match(await status(lux, 'curtail', 'sleep'), /^S/)
  assert.equal((await ask(lux, 'summary')).SUMMARY[0]['GHS 5s'], 0)
  assert.match(await status(lux, 'curtail', 'wakeup'), /^S/)
  assert.ok((await ask(lux, 'summary')).SUMMARY[0]['GHS 5s'] > 0)
  assert.match(await status(lux, 'ledset', 'red,on'), /^S/)
  assert.equal(sim.controls[3].led, true)
  assert.match(await status(lux, 'restart'), /^S 7 Restart/)
  assert.ok(await elapsed(lux) < 5)
  assert.match(await status(lux, 'rebootdevice'), /^S/)
  assert.deepEqual([sim.controls[3].restarts, sim.controls[3].reboots], [1, 1])
})

Deno.test('stock Antminers deny privileged commands (code 45), Whatsminers do not know them (14), and nothing changes', async () => {
  await using sim = await startSimulator({ miners: 5, baseAddress: base(), port: 0 })
  const poolsBefore = await ask(sim.addresses[0], 'pools')
  assert.equal(await status(sim.addresses[0], 'addpool', 'a,b,c'), "E 45 Access denied to 'addpool' command")
  assert.equal(await status(sim.addresses[1], 'restart'), "E 45 Access denied to 'restart' command")
  assert.equal(await status(sim.addresses[2], 'restart'), 'E 14 Invalid command')
  assert.deepEqual((await ask(sim.addresses[0], 'pools')).POOLS.map((p: { URL: string }) => p.URL), poolsBefore.POOLS.map((p: { URL: string }) => p.URL))
  assert.deepEqual(sim.controls.map((c) => c.touched), [false, false, false, false, false])
})

Deno.test('an Avalon reboots through ascset and has no curtail or LED command', async () => {
  await using sim = await startSimulator({ miners: 5, baseAddress: base(), port: 0 })
  const avalon = sim.addresses[4]
  assert.match(await status(avalon, 'ascset', '0,reboot,0'), /^S/)
  assert.ok(await elapsed(avalon) < 5)
  assert.ok((await ask(avalon, 'estats')).STATS[0]['MM ID0'].includes('Elapsed['))
  assert.equal(await status(avalon, 'curtail', 'sleep'), 'E 14 Invalid command')
  assert.equal(await status(avalon, 'ledset', 'red,on'), 'E 14 Invalid command')
})

Deno.test("the Antminer web interface checks the miner's own login by Digest and changes pools, mode, LED, password and uptime", async () => {
  await using sim = await startSimulator({ miners: 2, baseAddress: base(), port: 0, web: {}, logins: { 1: { user: 'root', password: 'own-pw-1' } } })
  const web = (i: number, path: string) => `http://${sim.addresses[i].split(':')[0]}:${sim.webPort}${path}`
  const login = { user: 'root', password: 'own-pw-1' }
  const anonymous = await fetch(web(1, '/cgi-bin/get_miner_conf.cgi'))
  await anonymous.body?.cancel()
  assert.equal(anonymous.status, 401)
  assert.match(anonymous.headers.get('www-authenticate')!, /^Digest realm="antMiner Configuration", nonce="[0-9a-f]+", qop="auth"/)
  using http1 = new MinerHttp(sim.addresses[1].split(':')[0]!, sim.webPort!, { timeoutMs: 2000 })
  using http0 = new MinerHttp(sim.addresses[0].split(':')[0]!, sim.webPort!, { timeoutMs: 2000 })
  // deno-lint-ignore no-explicit-any
  const send = async (http: MinerHttp, path: string, as: { user: string; password: string }, body?: unknown): Promise<any> =>
    JSON.parse((await digestRequest(http, as, body === undefined ? 'GET' : 'POST', path, {}, body === undefined ? undefined : JSON.stringify(body))).body)
  await assert.rejects(send(http1, '/cgi-bin/get_miner_conf.cgi', { user: 'root', password: 'root' }), DigestAuthError)

  const post = (path: string, body: unknown, as = login) => send(http1, path, as, body)
  const pools = [{ url: 'stratum+tcp://web.example:3333', user: 'farm.a', pass: 'web-pool-pw' }, { url: 'stratum+tcp://backup.example:443', user: 'farm.b', pass: 'x' }]
  assert.equal((await post('/cgi-bin/set_miner_conf.cgi', { pools, 'miner-mode': 1 })).stats, 'success')
  const conf = await send(http1, '/cgi-bin/get_miner_conf.cgi', login)
  assert.deepEqual([conf.pools, conf['miner-mode']], [pools, 1])
  assert.deepEqual(await activePool(sim.addresses[1]), ['stratum+tcp://web.example:3333'])
  assert.equal((await ask(sim.addresses[1], 'summary')).SUMMARY[0]['GHS 5s'], 0)
  assert.ok(await elapsed(sim.addresses[1]) < 5)

  assert.equal((await post('/cgi-bin/blink.cgi', { blink: true })).stats, 'success')
  assert.equal(sim.controls[1].led, true)
  assert.deepEqual(await post('/cgi-bin/passwd.cgi', { curPwd: 'wrong', newPwd: 'n', confirmPwd: 'n' }), { stats: 'error', code: 'P001', msg: 'Current password is wrong' })
  assert.equal((await post('/cgi-bin/passwd.cgi', { curPwd: 'own-pw-1', newPwd: 'own-pw-2', confirmPwd: 'own-pw-2' })).stats, 'success')
  await assert.rejects(send(http1, '/cgi-bin/get_miner_conf.cgi', login), DigestAuthError)
  assert.equal((await post('/cgi-bin/reboot.cgi', {}, { user: 'root', password: 'own-pw-2' })).stats, 'success')
  assert.equal(sim.controls[1].reboots, 1)
  // Miner 0 kept the stock login and its fixture pools.
  const stock = await send(http0, '/cgi-bin/get_miner_conf.cgi', { user: 'root', password: 'root' })
  assert.ok(stock.pools.length > 0 && !JSON.stringify(stock).includes('web.example'))
})
