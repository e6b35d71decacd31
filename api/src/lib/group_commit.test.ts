import { expect, test } from 'vitest'
import { GroupCommit, type GroupCommitOptions } from './group_commit.ts'

interface Item { key: string; group?: string; fail?: boolean }

class Refused extends Error {}

/** A fake database: records each batch and each lone run, answers when told to. */
function fakeDb(options: Partial<GroupCommitOptions<Item, string>> = {}) {
  const batches: string[][] = []
  const alone: string[] = []
  const gates: (() => void)[] = []
  let hold = false
  const commit = new GroupCommit<Item, string>({
    async runBatch(items) {
      batches.push(items.map((i) => i.key))
      if (hold) await new Promise<void>((resolve) => gates.push(resolve))
      if (items.some((i) => i.fail)) throw new Refused('refused')
      return items.map((i) => `done ${i.key}`)
    },
    async runOne(item) {
      alone.push(item.key)
      if (item.fail) throw new Error(`cannot write ${item.key}`)
      return `alone ${item.key}`
    },
    keyOf: (i) => i.key,
    groupOf: (i) => i.group ?? 'g',
    changedNothing: (error) => error instanceof Refused,
    ...options,
  })
  return {
    commit, batches, alone,
    holdBatches: () => (hold = true),
    releaseAll: () => { hold = false; for (const open of gates.splice(0)) open() },
  }
}

const turn = () => new Promise((resolve) => setImmediate(resolve))

test('writes made in one turn go as one batch and each caller gets its own result', async () => {
  const db = fakeDb()
  const results = await Promise.all(['a', 'b', 'c'].map((key) => db.commit.submit({ key })))
  expect(db.batches).toEqual([['a', 'b', 'c']])
  expect(results).toEqual(['done a', 'done b', 'done c'])
})

test('a write alone is sent after the current turn, without waiting for company', async () => {
  const db = fakeDb()
  const pending = db.commit.submit({ key: 'a' })
  expect(db.batches).toEqual([])
  await turn()
  expect(db.batches).toEqual([['a']])
  expect(await pending).toBe('done a')
})

test('writes arriving while the batches in flight are full wait, then travel together', async () => {
  const db = fakeDb({ maxInFlight: 1 })
  db.holdBatches()
  const first = db.commit.submit({ key: 'a' })
  await turn()
  const later = ['b', 'c', 'd'].map((key) => db.commit.submit({ key }))
  await turn()
  expect(db.batches).toEqual([['a']])
  db.releaseAll()
  await Promise.all([first, ...later])
  expect(db.batches).toEqual([['a'], ['b', 'c', 'd']])
})

test('two writes of one key never share a batch or run at once, and apply in order', async () => {
  const db = fakeDb({ maxInFlight: 2 })
  db.holdBatches()
  const writes = [db.commit.submit({ key: 'a' }), db.commit.submit({ key: 'b' }), db.commit.submit({ key: 'a' })]
  await turn()
  // The second 'a' may not start beside the first, though a batch slot is free.
  expect(db.batches).toEqual([['a', 'b']])
  db.releaseAll()
  await writes[0]
  await turn()
  expect(db.batches).toEqual([['a', 'b'], ['a']])
  db.releaseAll()
  await Promise.all(writes)
})

test('only writes of one group share a statement; a later write of a waiting key stays behind it', async () => {
  const db = fakeDb({ maxInFlight: 1 })
  await Promise.all([
    db.commit.submit({ key: 'a', group: 'credentials' }),
    db.commit.submit({ key: 'b', group: 'connection' }),
    db.commit.submit({ key: 'c', group: 'credentials' }),
    db.commit.submit({ key: 'b', group: 'credentials' }),
  ])
  expect(db.batches).toEqual([['a', 'c'], ['b'], ['b']])
})

test('no batch is larger than the limit', async () => {
  const db = fakeDb({ maxBatch: 2, maxInFlight: 1 })
  await Promise.all(['a', 'b', 'c', 'd', 'e'].map((key) => db.commit.submit({ key })))
  expect(db.batches).toEqual([['a', 'b'], ['c', 'd'], ['e']])
})

test('a batch the database refused runs each write alone, so a faulty write fails only its caller', async () => {
  const db = fakeDb()
  const results = await Promise.allSettled([db.commit.submit({ key: 'a' }), db.commit.submit({ key: 'b', fail: true }), db.commit.submit({ key: 'c' })])
  expect(db.batches).toEqual([['a', 'b', 'c']])
  expect(db.alone).toEqual(['a', 'b', 'c'])
  expect(results).toEqual([
    { status: 'fulfilled', value: 'alone a' },
    { status: 'rejected', reason: new Error('cannot write b') },
    { status: 'fulfilled', value: 'alone c' },
  ])
})

test('a batch whose fate is unknown (connection lost) is not run again: every caller gets the error', async () => {
  const lost = new Error('Connection terminated unexpectedly')
  const db = fakeDb({ runBatch: async () => { throw lost } })
  const results = await Promise.allSettled(['a', 'b'].map((key) => db.commit.submit({ key })))
  expect(results).toEqual([{ status: 'rejected', reason: lost }, { status: 'rejected', reason: lost }])
  expect(db.alone).toEqual([])
})

test('after a failed batch the key is free again and later writes go on', async () => {
  const db = fakeDb({ maxInFlight: 1 })
  await Promise.allSettled([db.commit.submit({ key: 'a', fail: true })])
  expect(await db.commit.submit({ key: 'a' })).toBe('done a')
})
