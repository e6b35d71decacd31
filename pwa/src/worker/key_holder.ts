/**
 * The worker's one piece of state: the unlocked data key (non-extractable), the
 * passphrase for old v1 blocks, the auto-lock timer and the anti-rollback guard.
 * "Remember on this device" stores the CryptoKey itself (structured clone) in
 * IndexedDB; its bytes never reach JavaScript, here or anywhere.
 */
import { createRollbackGuard, rollbackGuardFromJSON, type DataKey, type RollbackGuard } from '../../../e2ee/mod.ts'
import type { LockStatus, UnlockOptions } from '../shared/crypto_protocol.ts'
import { openAppDb } from '../shared/db.ts'

const REMEMBERED = 'unlocked-key'

interface RememberedKey {
  key: DataKey
  autoLockMs: number
  lastActive: number
}

let current: { key: DataKey; passphrase: string | null; options: UnlockOptions; guard: RollbackGuard } | null = null
let timer: ReturnType<typeof setTimeout> | undefined
let onAutoLock: (status: LockStatus) => void = () => {}

/** Registers who hears about an idle lock (the page, through postMessage). */
export function whenAutoLocked(listener: (status: LockStatus) => void): void {
  onAutoLock = listener
}

export function status(): LockStatus {
  return { unlocked: current !== null, tenantId: current?.key.tenantId ?? null, kid: current?.key.kid ?? null, hasPassphrase: Boolean(current?.passphrase) }
}

async function loadGuard(tenantId: string): Promise<RollbackGuard> {
  const db = await openAppDb()
  const saved = await db.get('device', `rollback:${tenantId}`)
  const persist = { onChange: (snapshot: unknown) => void db.put('device', snapshot, `rollback:${tenantId}`) }
  return saved ? rollbackGuardFromJSON(saved, persist) : createRollbackGuard(undefined, persist)
}

/** Holds `key` as the unlocked key, remembering it on this device when asked. */
export async function hold(key: DataKey, passphrase: string | null, options: UnlockOptions): Promise<LockStatus> {
  const guard = await loadGuard(key.tenantId)
  current = { key, passphrase, options, guard }
  const db = await openAppDb()
  if (options.remember) await db.put('device', { key, autoLockMs: options.autoLockMs, lastActive: Date.now() } satisfies RememberedKey, REMEMBERED)
  else await db.delete('device', REMEMBERED)
  touch()
  return status()
}

/** Unlocks from the remembered key when it is this keyring's and has not idled out. */
export async function restore(tenantId: string, kid: string): Promise<LockStatus> {
  if (current && current.key.tenantId === tenantId && current.key.kid === kid) return status()
  const db = await openAppDb()
  const saved = (await db.get('device', REMEMBERED)) as RememberedKey | undefined
  if (!saved) return status()
  const expired = saved.autoLockMs > 0 && Date.now() - saved.lastActive > saved.autoLockMs
  if (expired || saved.key.tenantId !== tenantId || saved.key.kid !== kid) {
    await db.delete('device', REMEMBERED)
    return status()
  }
  return hold(saved.key, null, { remember: true, autoLockMs: saved.autoLockMs })
}

/** Forgets the key everywhere: memory and this device. */
export async function lock(): Promise<LockStatus> {
  clearTimeout(timer)
  current = null
  await (await openAppDb()).delete('device', REMEMBERED)
  return status()
}

let lastPersisted = 0
/** Activity: restarts the idle timer (and, when remembered, notes the time at most once a minute). */
export function touch(): void {
  if (!current) return
  clearTimeout(timer)
  const { autoLockMs, remember } = current.options
  if (autoLockMs > 0) timer = setTimeout(() => void lock().then(onAutoLock), autoLockMs)
  const now = Date.now()
  if (remember && now - lastPersisted > 60_000) {
    lastPersisted = now
    const { key } = current
    void openAppDb().then((db) => db.put('device', { key, autoLockMs, lastActive: now } satisfies RememberedKey, REMEMBERED))
  }
}

/** The unlocked key, or a "locked" error the page shows as such. */
export function unlocked(): NonNullable<typeof current> {
  if (!current) throw Object.assign(new Error('Cannot use the keyring: it is locked; unlock it with your passphrase'), { code: 'locked' })
  return current
}
