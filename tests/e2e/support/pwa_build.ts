/**
 * Builds pwa/dist once for the browser suites: skipped when the build is newer
 * than every source it comes from; a lock directory keeps parallel test files
 * from building over each other.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '../../..')
export const PWA_DIST = join(ROOT, 'pwa/dist')
const SOURCES = ['pwa/src', 'pwa/build', 'pwa/webpack.config.mjs', 'e2ee', 'package-lock.json']
const LOCK = join(tmpdir(), 'hashinsight-pwa-build.lock')

function newestMtime(path: string): number {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)))
  return newest
}

/** True when pwa/dist exists and is newer than its sources. */
export function pwaBuildIsFresh(): boolean {
  const index = join(PWA_DIST, 'index.html')
  if (!existsSync(index) || !existsSync(join(PWA_DIST, 'sw.js'))) return false
  const built = statSync(index).mtimeMs
  return SOURCES.every((s) => !existsSync(join(ROOT, s)) || newestMtime(join(ROOT, s)) <= built)
}

async function withLock<T>(fn: () => T): Promise<T> {
  const deadline = Date.now() + 180_000
  for (;;) {
    try {
      mkdirSync(LOCK)
      break
    } catch {
      // A lock older than a build can take is left over from a killed run.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 180_000) rmSync(LOCK, { recursive: true, force: true })
      if (Date.now() > deadline) throw new Error('Cannot build the PWA: another build held the lock for 3 minutes')
      await new Promise((r) => setTimeout(r, 250))
    }
  }
  try {
    return fn()
  } finally {
    rmSync(LOCK, { recursive: true, force: true })
  }
}

/** Builds the PWA (production mode) unless the current build is fresh. */
export async function ensurePwaBuilt(): Promise<void> {
  await withLock(() => {
    if (pwaBuildIsFresh()) return
    execFileSync(join(ROOT, 'node_modules/.bin/webpack'), ['--config', 'pwa/webpack.config.mjs', '--mode', 'production'], {
      cwd: ROOT,
      stdio: 'pipe',
      timeout: 170_000,
    })
  })
}
