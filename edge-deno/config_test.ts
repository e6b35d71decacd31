import assert from 'node:assert/strict'
import { type ConfigSources, loadConfig } from './config.ts'
import { type PassphraseSources, readPassphrase } from './passphrase.ts'

function sources(env: Record<string, string> = {}, files: Record<string, string> = {}): ConfigSources {
  return {
    env: (name) => env[name],
    readTextFile: (path) => (path in files ? Promise.resolve(files[path]) : Promise.reject(new Deno.errors.NotFound(`No such file: ${path}`))),
  }
}

Deno.test('loadConfig() takes flags over environment over the config file over defaults', async () => {
  const file = JSON.stringify({ api_url: 'http://127.0.0.1:1', state_dir: '/from/file', interval_ms: 15000, concurrency: 64, spool_max_mb: 2 })
  const env = { HASHINSIGHT_API_URL: 'http://127.0.0.1:2', HASHINSIGHT_CONFIG: '/etc/edge.json' }
  const config = await loadConfig(['--concurrency', '8', '--once'], sources(env, { '/etc/edge.json': file }))
  assert.equal(config.apiUrl, 'http://127.0.0.1:2')
  assert.equal(config.stateDir, '/from/file')
  assert.equal(config.intervalMs, 15000)
  assert.equal(config.concurrency, 8)
  assert.equal(config.spoolMaxBytes, 2 * 1024 * 1024)
  assert.equal(config.timeoutMs, 5000)
  assert.equal(config.once, true)
  const flagged = await loadConfig(['--api', 'http://127.0.0.1:3', '--state-dir', '/flag'], sources(env, { '/etc/edge.json': file }))
  assert.deepEqual([flagged.apiUrl, flagged.stateDir], ['http://127.0.0.1:3', '/flag'])
})

Deno.test('loadConfig() takes the pool-statistics interval and pool API bases, defaulting to five minutes and the real pools', async () => {
  const defaults = await loadConfig([], sources())
  assert.deepEqual([defaults.poolIntervalMs, defaults.poolApiBases], [300_000, {}])
  const env = { HASHINSIGHT_POOL_API_ANTPOOL: 'http://127.0.0.1:9301' }
  const config = await loadConfig(['--pool-interval', '60000', '--pool-api-base', 'braiins=http://127.0.0.1:9300', '--pool-api-base', 'antpool=http://127.0.0.1:9302'], sources(env))
  assert.deepEqual([config.poolIntervalMs, config.poolApiBases], [60_000, { braiins: 'http://127.0.0.1:9300', antpool: 'http://127.0.0.1:9302' }])
  await assert.rejects(loadConfig(['--pool-api-base', 'nicehash=http://127.0.0.1:1'], sources()), /Cannot use --pool-api-base 'nicehash=.*unknown pool 'nicehash'/)
  await assert.rejects(loadConfig(['--pool-interval', '10'], sources()), /Cannot use --pool-interval '10': expected an integer, at least 1000/)
})

Deno.test('loadConfig() polls on two threads where there are two cores, or as many as asked (1 to 16)', async () => {
  assert.equal((await loadConfig([], sources())).pollThreads, Math.min(2, navigator.hardwareConcurrency))
  assert.equal((await loadConfig(['--poll-threads', '1'], sources())).pollThreads, 1)
  assert.equal((await loadConfig(['--config', 'c.json'], sources({}, { 'c.json': '{"poll_threads":4}' }))).pollThreads, 4)
  await assert.rejects(loadConfig(['--poll-threads', '0'], sources()), /Cannot use --poll-threads '0': expected an integer, 1 to 16/)
})

Deno.test('loadConfig() refuses bad values and secrets in the config file', async (t) => {
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ['negative interval', ['--interval=-5'], {}, /Cannot use --interval '-5': expected an integer, at least 100/],
    ['fractional concurrency', ['--concurrency', '2.5'], {}, /Cannot use --concurrency '2.5': expected an integer, at least 1/],
    ['jitter above 1', ['--jitter', '2'], {}, /--jitter '2': expected a number, 0 to 1/],
    ['unknown flag', ['--bogus'], {}, /Cannot parse arguments: .*bogus/],
    ['passphrase in the file', ['--config', 'c.json'], { 'c.json': '{"passphrase":"x"}' }, /'passphrase' does not belong in a config file/],
    ['unknown key', ['--config', 'c.json'], { 'c.json': '{"intervall_ms":1}' }, /unknown key 'intervall_ms'/],
    ['not JSON', ['--config', 'c.json'], { 'c.json': '{' }, /Cannot read config file c.json: it is not JSON/],
    ['missing file', ['--config', 'nope.json'], {}, /Cannot read config file nope.json: No such file/],
  ]
  for (const [name, args, files, error] of cases) {
    await t.step(name, () => assert.rejects(loadConfig([...args, '--state-dir', '/s'], sources({}, files)), error))
  }
})

function passphraseSources(env: Record<string, string>, files: Record<string, [string, number]>, typed?: string): PassphraseSources & { warnings: string[]; prompted: number } {
  const out = {
    warnings: [] as string[],
    prompted: 0,
    env: (name: string) => env[name],
    readTextFile: (path: string) => (path in files ? Promise.resolve(files[path][0]) : Promise.reject(new Error('No such file'))),
    mode: (path: string) => Promise.resolve(files[path]?.[1] ?? null),
    prompt: () => (out.prompted++, Promise.resolve(typed)),
    warn: (line: string) => out.warnings.push(line),
  }
  return out
}

Deno.test('readPassphrase() prefers the environment, then the file (one newline trimmed), then the prompt', async () => {
  assert.equal(await readPassphrase('p.txt', passphraseSources({ HASHINSIGHT_PASSPHRASE: 'from env' }, { 'p.txt': ['from file\n', 0o600] })), 'from env')
  const fromFile = passphraseSources({}, { 'p.txt': ['from file \n', 0o100600] })
  assert.equal(await readPassphrase('p.txt', fromFile), 'from file ')
  assert.deepEqual([fromFile.warnings, fromFile.prompted], [[], 0])
  const prompted = passphraseSources({}, {}, 'typed')
  assert.equal(await readPassphrase(undefined, prompted), 'typed')
  assert.equal(prompted.prompted, 1)
  assert.equal(await readPassphrase(undefined, passphraseSources({}, {}, undefined)), undefined)
})

Deno.test('readPassphrase() warns about a passphrase file others can read and refuses an empty one, never quoting it', async () => {
  const open = passphraseSources({}, { 'p.txt': ['hunter2-secret\n', 0o100644], 'empty.txt': ['\n', 0o600] })
  assert.equal(await readPassphrase('p.txt', open), 'hunter2-secret')
  assert.deepEqual(open.warnings, ['Warning: passphrase file p.txt can be read by other users; chmod 600 it'])
  await assert.rejects(readPassphrase('empty.txt', open), /Cannot read passphrase file empty.txt: it is empty/)
  await assert.rejects(readPassphrase('missing.txt', open), (e: Error) => /Cannot read passphrase file missing.txt/.test(e.message) && !e.message.includes('hunter2'))
})
