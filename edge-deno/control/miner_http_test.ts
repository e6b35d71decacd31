import assert from 'node:assert/strict'
import { HttpProtocolError, MinerHttp } from './miner_http.ts'

const encoder = new TextEncoder()

/**
 * A raw TCP server on loopback that answers each request with its scripted reply,
 * written in the given pieces; a `null` piece (or reply) closes the connection there.
 */
function rawServer(script: (request: string, index: number) => (string | null)[] | null) {
  const listener = Deno.listen({ hostname: '127.0.0.1', port: 0 })
  const requests: string[] = []
  let connections = 0
  const conns = new Set<Deno.Conn>()
  const served = (async () => {
    for await (const conn of listener) {
      connections++
      conns.add(conn)
      ;(async () => {
        const buffer = new Uint8Array(65_536)
        let pending = ''
        try {
          while (true) {
            const n = await conn.read(buffer)
            if (n === null) break
            pending += new TextDecoder().decode(buffer.subarray(0, n))
            let end: number
            while ((end = pending.indexOf('\r\n\r\n')) !== -1) {
              const length = Number(/content-length: (\d+)/i.exec(pending.slice(0, end))?.[1] ?? 0)
              if (pending.length < end + 4 + length) break
              const request = pending.slice(0, end + 4 + length)
              pending = pending.slice(end + 4 + length)
              requests.push(request)
              const reply = script(request, requests.length - 1)
              if (reply === null) throw new Error('close')
              for (const piece of reply) {
                if (piece === null) throw new Error('close')
                await conn.write(encoder.encode(piece))
              }
            }
          }
        } catch {
          // closed on purpose, or by the client
        } finally {
          conns.delete(conn)
          try {
            conn.close()
          } catch { /* already closed */ }
        }
      })()
    }
  })()
  const port = (listener.addr as Deno.NetAddr).port
  return {
    port, requests, get connections() { return connections },
    async [Symbol.asyncDispose]() {
      listener.close()
      for (const conn of conns) conn.close()
      await served.catch(() => {})
    },
  }
}

Deno.test("MinerHttp sends an action's requests over one kept-alive connection to a real HTTP server", async () => {
  const peers = new Set<number>()
  const bodies: string[] = []
  await using server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, async (request, info) => {
    peers.add(info.remoteAddr.port)
    bodies.push(`${request.method} ${new URL(request.url).pathname} ${request.headers.get('host')} ${await request.text()}`)
    return Response.json({ n: bodies.length })
  })
  using http = new MinerHttp('127.0.0.1', server.addr.port, { timeoutMs: 2000 })
  assert.equal((await http.request('GET', '/cgi-bin/get_miner_conf.cgi')).body, '{"n":1}')
  const posted = await http.request('POST', '/cgi-bin/set_miner_conf.cgi', { 'content-type': 'application/json' }, '{"pools":[]}')
  assert.deepEqual([posted.status, posted.headers.get('content-type'), posted.body], [200, ['application/json'], '{"n":2}'])
  await http.request('GET', '/x')
  assert.equal(peers.size, 1)
  assert.deepEqual(bodies, [
    `GET /cgi-bin/get_miner_conf.cgi 127.0.0.1:${server.addr.port} `,
    `POST /cgi-bin/set_miner_conf.cgi 127.0.0.1:${server.addr.port} {"pools":[]}`,
    `GET /x 127.0.0.1:${server.addr.port} `,
  ])
})

Deno.test('MinerHttp reads chunked, sized and to-close bodies, in any pieces, and skips 100 Continue', async () => {
  await using server = rawServer((_, i) => [
    ['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', '5;ext=1\r\nhel', 'lo\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 4\r\nX-Folded: a\r\n  b\r\n\r', '\nb', 'ody'],
    ['HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nto close', null],
  ][i % 3]!)
  using http = new MinerHttp('127.0.0.1', server.port, { timeoutMs: 2000 })
  assert.equal((await http.request('GET', '/a')).body, 'hello world')
  const sized = await http.request('GET', '/b')
  assert.deepEqual([sized.body, sized.headers.get('x-folded')], ['body', ['a b']])
  assert.equal(server.connections, 1)
  // A body delimited by close is read to the close; the next request reconnects.
  assert.equal((await http.request('GET', '/c')).body, 'to close')
  await http.request('GET', '/a')
  assert.equal(server.connections, 2)
})

Deno.test('MinerHttp sends a GET again, once, when the miner closed the kept-alive connection without answering', async () => {
  await using server = rawServer((_, i) => i === 1 ? null : [`HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n${i}`])
  using http = new MinerHttp('127.0.0.1', server.port, { timeoutMs: 2000 })
  assert.equal((await http.request('GET', '/')).body, '0')
  assert.equal((await http.request('GET', '/')).body, '2')
  assert.deepEqual([server.connections, server.requests.length], [2, 3])
})

Deno.test('MinerHttp never sends a POST again: the miner may have acted on it before it closed', async () => {
  await using server = rawServer((_, i) => i === 1 ? null : ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'])
  using http = new MinerHttp('127.0.0.1', server.port, { timeoutMs: 2000 })
  await http.request('GET', '/cgi-bin/get_miner_conf.cgi')
  await assert.rejects(() => http.request('POST', '/cgi-bin/reboot.cgi', {}, '{}'), new HttpProtocolError('the miner closed the connection without answering'))
  assert.equal(server.requests.length, 2)
  assert.ok(http.answered)
})

Deno.test('MinerHttp reads a reply of many small chunks into one body, and counts framing and interim answers against the cap', async () => {
  const chunks = (count: number) => 'x'.repeat(count).split('').map((c) => `1\r\n${c}\r\n`).join('')
  await using server = rawServer((_, i) => [
    [`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunks(5000)}0\r\n\r\n`],
    [`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunks(300)}0\r\n\r\n`],
    ['HTTP/1.1 100 Continue\r\n\r\n'.repeat(20) + 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'],
    [`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n${'X-T: t\r\n'.repeat(200)}\r\n`],
  ][i]!)
  const open = (maxReplyBytes: number) => new MinerHttp('127.0.0.1', server.port, { timeoutMs: 2000, maxReplyBytes })
  assert.equal((await open(65_536).request('GET', '/many')).body, 'x'.repeat(5000))
  await assert.rejects(() => open(1000).request('GET', '/framing'), new HttpProtocolError('the reply exceeds 1000 bytes'))
  await assert.rejects(() => open(65_536).request('GET', '/interim'), new HttpProtocolError('the miner sent more than 8 interim answers'))
  await assert.rejects(() => open(1000).request('GET', '/trailers'), new HttpProtocolError('the reply exceeds 1000 bytes'))
})

Deno.test('MinerHttp bounds a stalled, oversized or non-HTTP answer and reports a refused connection as Deno does', async () => {
  await using server = rawServer((_, i) => [
    ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nonly'],
    [`HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n${'x'.repeat(2000)}`],
    ['SSH-2.0-dropbear\r\n\r\n'],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
  ][i]!)
  const open = () => new MinerHttp('127.0.0.1', server.port, { timeoutMs: 300, maxReplyBytes: 1000 })
  const started = performance.now()
  await assert.rejects(() => open().request('GET', '/stall'), { name: 'TimeoutError' })
  assert.ok(performance.now() - started < 2000)
  await assert.rejects(() => open().request('GET', '/big'), new HttpProtocolError('the reply exceeds 1000 bytes'))
  await assert.rejects(() => open().request('GET', '/ssh'), { name: 'HttpProtocolError', message: /does not start with an HTTP\/1 status line/ })
  await assert.rejects(() => open().request('GET', '/chunk'), { name: 'HttpProtocolError', message: /malformed chunk size/ })
  const closedPort = (() => {
    const l = Deno.listen({ hostname: '127.0.0.1', port: 0 })
    const port = (l.addr as Deno.NetAddr).port
    l.close()
    return port
  })()
  await assert.rejects(() => new MinerHttp('127.0.0.1', closedPort, { timeoutMs: 300 }).request('GET', '/'), Deno.errors.ConnectionRefused)
})

Deno.test('MinerHttp refuses a path or header with a line break instead of sending it, and gives an empty POST its length', async () => {
  await using server = rawServer(() => ['HTTP/1.1 204 No Content\r\n\r\n'])
  using http = new MinerHttp('127.0.0.1', server.port, { timeoutMs: 300 })
  await assert.rejects(() => http.request('GET', '/', { 'x-a': 'b\r\nInjected: 1' }), TypeError)
  await assert.rejects(() => http.request('GET', '/ HTTP/1.1\r\nInjected: 1'), TypeError)
  assert.deepEqual(await http.request('POST', '/cgi-bin/reboot.cgi'), { status: 204, headers: new Map(), body: '' })
  assert.deepEqual(server.requests, [`POST /cgi-bin/reboot.cgi HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Length: 0\r\n\r\n`])
})
