import assert from 'node:assert/strict'
import { Spool } from './spool.ts'
import { unpolledSample } from './sample.ts'
import { tempStateDir } from './testdata/temp_state.ts'

const batch = (n: number) => ({ batch_id: crypto.randomUUID(), samples: [unpolledSample('6f1c2a8e-0000-4000-8000-000000000001', n, 'config', 'x')] })

Deno.test('Spool.add() past the batch bound drops the oldest batches and says how many', async () => {
  await using state = await tempStateDir()
  const spool = await Spool.open(`${state.dir}/spool`, { maxBatches: 3 })
  const batches = Array.from({ length: 5 }, (_, i) => batch(i))
  const dropped = []
  for (const b of batches) dropped.push((await spool.add(b)).batches)
  assert.deepEqual(dropped, [0, 0, 0, 1, 1])
  assert.equal(spool.size, 3)
  const onDisk = [...Deno.readDirSync(spool.dir)].map((e) => e.name).sort()
  assert.deepEqual(onDisk.map((n) => n.slice(17, -5)), batches.slice(2).map((b) => b.batch_id))
})

Deno.test('Spool.add() past the byte bound drops the oldest but always keeps the newest', async () => {
  await using state = await tempStateDir()
  const one = JSON.stringify(batch(0)).length
  const spool = await Spool.open(`${state.dir}/spool`, { maxBytes: one * 2 + 10 })
  for (let i = 0; i < 4; i++) await spool.add(batch(i))
  assert.equal(spool.size, 2)
  assert.ok(spool.bytes <= one * 2 + 10)
  const tiny = await Spool.open(`${state.dir}/tiny`, { maxBytes: 1 })
  await tiny.add(batch(0))
  assert.equal(tiny.size, 1)
})

Deno.test('Spool.open() picks up batches in the order they were made and removes interrupted writes', async () => {
  await using state = await tempStateDir()
  const first = await Spool.open(`${state.dir}/spool`)
  const ids = []
  for (let i = 0; i < 12; i++) {
    const b = batch(i)
    ids.push(b.batch_id)
    await first.add(b)
  }
  Deno.writeTextFileSync(`${state.dir}/spool/0000000000000099-x.json.tmp-abc`, '{"half')
  const again = await Spool.open(`${state.dir}/spool`)
  assert.equal(again.size, 12)
  const order = []
  for (let e = again.oldest(); e; e = again.oldest()) {
    order.push(JSON.parse(await again.read(e)).batch_id)
    await again.remove(e)
  }
  assert.deepEqual(order, ids)
  assert.deepEqual([...Deno.readDirSync(`${state.dir}/spool`)], [])
  await again.add(batch(99))
  assert.match(again.oldest()!.name, /^0000000000000012-/)
})

Deno.test('Spool files are private to the user', async () => {
  if (Deno.build.os === 'windows') return
  await using state = await tempStateDir()
  const spool = await Spool.open(`${state.dir}/spool`)
  await spool.add(batch(0))
  assert.equal(Deno.statSync(`${spool.dir}/${spool.oldest()!.name}`).mode! & 0o777, 0o600)
})
