/**
 * Rule zero: the API never decrypts. Walks the import graph from the server entry
 * and fails if any file it reaches can decrypt, unwrap or derive keys, or reaches
 * e2ee/ for anything but the schema module.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const FORBIDDEN = [
  /subtle\s*\.\s*(decrypt|unwrapKey|deriveKey|deriveBits|importKey)/,
  /\b(createDecipheriv|privateDecrypt|publicDecrypt)\b/,
  /\b(decryptObject|decryptBlock|unlockKeyring|rewrapKeyring)\b/,
  /\bwebcrypto\b/,
]
// The schema, and the fingerprint's text formatting (no key, no cryptography call in it).
const ALLOWED_E2EE = new Set(['e2ee/schema.ts', 'e2ee/fingerprint.ts'])

/** Every project file reachable by relative imports from `entry`. */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>()
  const stack = [entry]
  while (stack.length) {
    const file = stack.pop()!
    if (seen.has(file)) continue
    seen.add(file)
    const source = readFileSync(file, 'utf8')
    for (const match of source.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = resolve(dirname(file), match[1]!)
      if (existsSync(target)) stack.push(target)
    }
  }
  return seen
}

describe('the API never decrypts', () => {
  const files = [...reachable(resolve(root, 'api/src/server.ts'))].map((f) => relative(root, f))

  test('the walk reaches the routes, so it would see a decrypting import', () => {
    expect(files).toContain('api/src/routes/miner_secrets.ts')
    expect(files).toContain('e2ee/schema.ts')
  })

  test('of e2ee/ it reaches the schema module only', () => {
    expect(files.filter((f) => f.startsWith('e2ee/') && !ALLOWED_E2EE.has(f))).toEqual([])
  })

  test('no reachable file uses a decryption or key-derivation primitive', () => {
    const offenders = files.flatMap((f) => {
      const source = readFileSync(resolve(root, f), 'utf8')
      return FORBIDDEN.filter((re) => re.test(source)).map((re) => `${f}: ${re}`)
    })
    expect(offenders).toEqual([])
  })

  test('the check itself catches a decrypting module', () => {
    const sample = "const key = await crypto.subtle.deriveKey(p, k, a, false, ['decrypt'])"
    expect(FORBIDDEN.some((re) => re.test(sample))).toBe(true)
  })
})
