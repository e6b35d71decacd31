import assert from 'node:assert/strict'
import { parsePoolApiBases, poolNamed } from './registry.ts'

Deno.test('poolNamed() knows a pool key by its pool name, however the owner wrote it', () => {
  assert.deepEqual(['Braiins Pool', 'braiins', 'Slush Pool', 'AntPool', 'Antpool BTC', 'Foundry USA', ''].map(poolNamed),
    ['braiins', 'braiins', 'braiins', 'antpool', 'antpool', undefined, undefined])
})

Deno.test('parsePoolApiBases() takes the environment, then flags over it, and defaults stay the real hosts', () => {
  const env = (name: string) => ({ HASHINSIGHT_POOL_API_ANTPOOL: 'http://127.0.0.1:9301/', HASHINSIGHT_POOL_API_BRAIINS: 'http://127.0.0.1:9300' })[name]
  assert.deepEqual(parsePoolApiBases(['braiins=http://127.0.0.2:9400/proxy/'], env), { braiins: 'http://127.0.0.2:9400/proxy', antpool: 'http://127.0.0.1:9301' })
  assert.deepEqual(parsePoolApiBases([], () => undefined), {})
})

Deno.test('parsePoolApiBases() refuses what it cannot use', async (t) => {
  for (const [entry, message] of [
    ['braiins', /expected <pool>=<url>/],
    ['f2pool=http://127.0.0.1:1', /unknown pool 'f2pool' \(known: braiins, antpool\)/],
    ['antpool=not a url', /'not a url' is not a URL/],
    ['antpool=ftp://127.0.0.1/', /expected an http or https URL/],
  ] as const) {
    await t.step(entry, () => assert.throws(() => parsePoolApiBases([entry], () => undefined), message))
  }
})
