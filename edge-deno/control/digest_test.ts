import assert from 'node:assert/strict'
import { DigestGuard } from '../../tests/sim/digest_auth.ts'
import { DigestAuthError, digestAuthorization, digestRequest } from './digest.ts'
import { MinerHttp } from './miner_http.ts'

Deno.test('digestAuthorization() gives the response of RFC 2617 section 3.5 (MD5, qop=auth) and echoes opaque', () => {
  const challenge = 'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
  const header = digestAuthorization(challenge, { user: 'Mufasa', password: 'Circle Of Life' }, 'GET', '/dir/index.html', '0a4f113b')
  assert.match(header, /response="6629fae49393a05397450978507c4ef1"/)
  assert.match(header, /qop=auth, nc=00000001, cnonce="0a4f113b", opaque="5ccc069c403ebaf9f0171e9517f40e41"$/)
  assert.doesNotMatch(header, /Circle Of Life/)
})

Deno.test('digestAuthorization() refuses a challenge it cannot answer', () => {
  const login = { user: 'u', password: 'p' }
  assert.throws(() => digestAuthorization('Basic realm="x"', login, 'GET', '/'), DigestAuthError)
  assert.throws(() => digestAuthorization('Digest realm="x", nonce="n", algorithm=SHA-512-256', login, 'GET', '/'), { message: 'Cannot log in to the miner: unsupported digest algorithm SHA-512-256' })
})

Deno.test("digestRequest() answers a miner's challenge once, then reuses it with a rising nonce count", async () => {
  const guard = new DigestGuard()
  const login = { user: 'root', password: 'pw-1' }
  const counts: string[] = []
  let challenges = 0
  await using server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, (request) => {
    const url = new URL(request.url)
    const header = request.headers.get('authorization')
    if (!guard.verify(header, request.method, url.pathname, login)) {
      challenges++
      return new Response('no', { status: 401, headers: { 'www-authenticate': guard.challenge() } })
    }
    counts.push(/nc=(\w+)/.exec(header!)![1]!)
    return new Response('ok')
  })
  using http = new MinerHttp('127.0.0.1', server.addr.port, { timeoutMs: 2000 })
  const path = '/cgi-bin/get_miner_conf.cgi'
  for (let i = 0; i < 3; i++) assert.equal((await digestRequest(http, login, 'GET', path)).body, 'ok')
  assert.deepEqual([challenges, counts], [1, ['00000001', '00000002', '00000003']])
  // After set_password the same challenge answers with the new login, without a 401.
  login.password = 'pw-2'
  assert.equal((await digestRequest(http, { user: 'root', password: 'pw-2' }, 'GET', path)).body, 'ok')
  assert.deepEqual([challenges, counts.at(-1)], [1, '00000004'])
  await assert.rejects(digestRequest(http, { user: 'root', password: 'pw-1' }, 'GET', path), { name: 'DigestAuthError', message: 'Cannot log in to the miner: its web login refused the stored user name or password' })
})
