/** "Remember on this device" and the auto-lock delay, shared by unlock and first run. */
import type { UnlockOptions } from '../shared/crypto_protocol.ts'

export const AUTO_LOCK_CHOICES = [
  { ms: 5 * 60_000, label: 'after 5 minutes' },
  { ms: 15 * 60_000, label: 'after 15 minutes' },
  { ms: 60 * 60_000, label: 'after 1 hour' },
  { ms: 0, label: 'never (not on shared devices)' },
] as const

const DEFAULT_AUTO_LOCK_MS = 15 * 60_000

/** Reads the options from the form fields below. */
export function readLockOptions(form: FormData): UnlockOptions {
  return { remember: form.get('remember') === 'on', autoLockMs: Number(form.get('autolock') ?? DEFAULT_AUTO_LOCK_MS) }
}

export function LockOptions() {
  return (
    <fieldset class="stack">
      <label>Lock when idle
        <select name="autolock">
          {AUTO_LOCK_CHOICES.map((c) => <option value={String(c.ms)} selected={c.ms === DEFAULT_AUTO_LOCK_MS}>{c.label}</option>)}
        </select>
      </label>
      <label class="check"><input type="checkbox" name="remember" /> Remember on this device (stay unlocked after closing the app, until it locks)</label>
    </fieldset>
  )
}
