/**
 * v1 interop with an independent implementation: Python's `cryptography` following
 * the seed's helper (tests/e2e/interop_v1.py). Blocks made here must open there and
 * the other way round, and Python must reproduce the checked-in vectors byte for byte,
 * so the vectors are not merely self-consistent. Needs `apt-get install python3-cryptography`.
 */
import { execFileSync } from 'node:child_process'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { describe, test } from 'vitest'
import { createKeyCache, decryptObject, encryptObject, parseBlockV1, WrongPassphraseError, type BlockV1 } from '../../e2ee/mod.ts'
import v1 from '../../e2ee/vectors/v1.json' with { type: 'json' }
import v2 from '../../e2ee/vectors/v2.json' with { type: 'json' }

const PYTHON = '/usr/bin/python3'
const SCRIPT = fileURLToPath(new URL('./interop_v1.py', import.meta.url))

function python<T>(request: object): T {
  try {
    return JSON.parse(execFileSync(PYTHON, [SCRIPT], { input: JSON.stringify(request), encoding: 'utf8', timeout: 50_000 })) as T
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? error)
    if (stderr.includes("No module named 'cryptography'")) {
      throw new Error('Cannot run Python interop: install python3-cryptography (apt-get install -y python3-cryptography)')
    }
    throw error
  }
}

// Fixed inputs cover the three alphabets; sampled ones add arbitrary JSON shapes.
const fixed: unknown[] = [
  { ip_address: '10.0.0.7', port: 4028, username: 'root', password: 'root', pool_url: 'stratum+tcp://pool:3333', pool_user: 'a.w1', pool_password: 'x' },
  { username: 'opérateur', password: 'contraseña-ñ-Ω', pool_password: '密码' },
  { username: 'rig👷', password: '🔑🔑 p4ss 🎉', note: 'ZWJ 👨‍👩‍👧 and 𝄞' },
]
const sampled = fc.sample(fc.jsonValue({ stringUnit: 'grapheme' }), { seed: 20240611, numRuns: 12 })
const objects = [...fixed, ...sampled]
const normalized = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown
const PASSPHRASES = ['correct horse battery staple', 'Grüße – 日本語', '🔐 mining 🐉🚀']

describe('v1 interop with Python cryptography (the seed helper)', () => {
  test('Python decrypts v1 blocks made by e2ee, for ASCII, UTF-8 and emoji passphrases and data', async () => {
    for (const passphrase of PASSPHRASES) {
      const blocks: BlockV1[] = []
      for (const obj of objects) blocks.push(await encryptObject(obj, passphrase))
      const { results } = python<{ results: { ok?: unknown; error?: string }[] }>({ mode: 'decrypt', passphrase, blocks })
      assert.deepEqual(results.map((r) => r.ok), objects.map(normalized))
    }
  })

  test('Python refuses a v1 block made by e2ee under another passphrase', async () => {
    const block = await encryptObject(fixed[0], PASSPHRASES[0]!)
    const { results } = python<{ results: { error?: string }[] }>({ mode: 'decrypt', passphrase: PASSPHRASES[1], blocks: [block] })
    assert.deepEqual(results, [{ error: 'InvalidTag' }])
  })

  test('e2ee decrypts v1 blocks made by Python, and they pass the block schema', async () => {
    const cache = createKeyCache()
    for (const passphrase of PASSPHRASES) {
      const { blocks } = python<{ blocks: unknown[] }>({ mode: 'encrypt', passphrase, objects })
      const opened = []
      for (const block of blocks) opened.push(await decryptObject(parseBlockV1(block), passphrase, { cache }))
      assert.deepEqual(opened, objects.map(normalized))
      await assert.rejects(decryptObject(blocks[0], `${passphrase}!`), WrongPassphraseError)
    }
  })

  test('Python reproduces every v1 vector byte for byte and opens every v2 vector', () => {
    const { checked } = python<{ checked: number }>({ mode: 'vectors', v1, v2 })
    assert.equal(checked, v1.vectors.length + v2.keyrings.length + v2.blocks.length)
  })
})
