/**
 * The e2ee decrypt measurement, written once against Web APIs so both runtimes run
 * the same code: `e2ee.bench.ts` calls {@link measureDecrypt} in Node, and spawns this
 * file under Deno (`deno run -A tests/bench/e2ee_deno.ts`), which prints BENCH lines.
 *
 * v2: 10 000 realistic connection blocks under one keyring, timed from the unlock
 * (PBKDF2 600 000) to the last plaintext. v1: a bounded sample of distinct-salt
 * blocks (one PBKDF2 100 000 each, as the seed does), reported as a rate.
 */
import { createKeyring, decryptBlock, decryptObject, encryptBlock, encryptObject, unlockKeyring, type BlockV1, type BlockV2 } from '../../e2ee/mod.ts'
import { benchLine, result, type BenchResult } from './report.ts'

const V2_BLOCKS = 10_000
const V1_SAMPLE = 40
// Enough requests in flight to keep WebCrypto's worker threads busy on both cores.
const CONCURRENCY = 100
const PASSPHRASE = 'bench passphrase – Grüße 🔐'
const TENANT = 'tenant-bench'

/** What one runtime measured. */
export interface DecryptFigures {
  v1BlocksPerSecond: number
  /** v1 one block at a time, as a loop of awaited decryptObject calls does. */
  v1SequentialBlocksPerSecond: number
  v2BlocksPerSecond: number
  v2TotalMs: number
}

function connection(i: number) {
  return {
    ip_address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    port: [4028, 4029, 80, 8080][i % 4],
    username: ['root', 'admin', `op${i % 97}`][i % 3],
    password: `pw-${(i * 2654435761 >>> 0).toString(36)}-${'x'.repeat(i % 17)}`,
    pool_url: `stratum+tcp://pool${i % 7}.example.net:${3333 + (i % 5)}`,
    pool_user: `account${i % 211}.worker${i}`,
    pool_password: i % 3 === 0 ? 'x' : `p${i}`,
  }
}

/** Runs `work` over all items with CONCURRENCY lanes, each taking the next item as it frees up. */
async function inBatches<T, R>(items: readonly T[], work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const lane = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await work(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, lane))
  return out
}

const subject = (i: number) => ({ tenantId: TENANT, kind: 'connection_full' as const, subjectId: `miner-${i}` })

/** Builds the blocks (untimed), then times v1 and v2 decryption in this runtime. */
export async function measureDecrypt(): Promise<DecryptFigures> {
  const { wrapped, key } = await createKeyring(PASSPHRASE, TENANT)
  const ids = Array.from({ length: V2_BLOCKS }, (_, i) => i)
  const v2: BlockV2[] = await inBatches(ids, (i) => encryptBlock(key, connection(i), { ...subject(i), counter: 1 + (i % 9) }))
  const v1: BlockV1[] = await inBatches(ids.slice(0, V1_SAMPLE), (i) => encryptObject(connection(i), PASSPHRASE))

  // Warm the JIT on the v2 path with the already-unlocked key, as a running collector would be.
  await inBatches(v2.slice(0, 1000), (block, i) => decryptBlock(key, block, subject(i)))

  let start = performance.now()
  const unlocked = await unlockKeyring(wrapped, PASSPHRASE, TENANT)
  const plain = await inBatches(v2, (block, i) => decryptBlock<{ pool_user: string }>(unlocked, block, subject(i)))
  const v2TotalMs = performance.now() - start
  if (plain.length !== V2_BLOCKS || plain[V2_BLOCKS - 1]!.pool_user !== connection(V2_BLOCKS - 1).pool_user) throw new Error('Cannot bench: v2 blocks did not decrypt')

  start = performance.now()
  const opened = await inBatches(v1, (block) => decryptObject(block, PASSPHRASE))
  const v1Ms = performance.now() - start
  if (opened.length !== V1_SAMPLE) throw new Error('Cannot bench: v1 blocks did not decrypt')
  start = performance.now()
  for (const block of v1.slice(0, V1_SAMPLE / 2)) await decryptObject(block, PASSPHRASE)
  const v1SequentialMs = performance.now() - start

  return {
    v1BlocksPerSecond: (V1_SAMPLE * 1000) / v1Ms,
    v1SequentialBlocksPerSecond: (V1_SAMPLE / 2) * 1000 / v1SequentialMs,
    v2BlocksPerSecond: (V2_BLOCKS * 1000) / v2TotalMs, v2TotalMs }
}

/** The figures of one runtime, named `e2ee.decrypt.*.<runtime>`. */
export function decryptResults(runtime: 'node' | 'deno', figures: DecryptFigures): BenchResult[] {
  const { v1BlocksPerSecond, v1SequentialBlocksPerSecond, v2BlocksPerSecond, v2TotalMs } = figures
  const parallelRatio = Math.round(v2BlocksPerSecond / v1BlocksPerSecond)
  return [
    result(`e2ee.decrypt.v1.${runtime}`, v1SequentialBlocksPerSecond, 'blocks/s', null,
      `v1 as the seed decrypts: one PBKDF2 100000 per block, one block after another (${V1_SAMPLE / 2} distinct-salt blocks)`),
    result(`e2ee.decrypt.v1.${runtime}.parallel`, v1BlocksPerSecond, 'blocks/s', v1SequentialBlocksPerSecond,
      `v1 with ${CONCURRENCY} blocks in flight (PBKDF2 on every core), ${V1_SAMPLE} blocks`),
    result(`e2ee.decrypt.v2.${runtime}`, v2BlocksPerSecond, 'blocks/s', v1SequentialBlocksPerSecond,
      `v2: ${V2_BLOCKS} connection blocks incl. one keyring unlock (PBKDF2 600000), ${CONCURRENCY} in flight; baseline: v1 in the same run; goal ratio >= 300 (vs parallel v1: ${parallelRatio}x)`),
    result(`e2ee.decrypt.v2.${runtime}.total_ms`, v2TotalMs, 'ms', null,
      `${V2_BLOCKS} v2 blocks incl. unlock; goal <= 500 ms`),
  ]
}

// Deno entry point: print the figures for the Node suite to parse.
if ((import.meta as { main?: boolean }).main) {
  for (const r of decryptResults('deno', await measureDecrypt())) console.log(benchLine(r))
}
