/**
 * What the server can check about a block without reading it: that a v2 block
 * names the tenant's current keyring and moves its counter forward. The client
 * checks the same counter again after decrypting (anti-rollback on both sides).
 */
import type { Block } from '../../../e2ee/schema.ts'
import { Conflict } from '../errors.ts'

/**
 * Throws 409 unless `incoming` may replace `stored`.
 * @param action what the caller tried, for the message
 * @param keyringKid the tenant's current keyring id, null when it has none
 */
export function checkBlockReplacement(action: string, stored: Block | null, incoming: Block, keyringKid: string | null): void {
  if (incoming.version === 1) {
    if (stored?.version === 2) {
      throw new Conflict(action, 'a version 1 block cannot replace a version 2 block (downgrade refused); encrypt it with the keyring')
    }
    return
  }
  if (!keyringKid) {
    throw new Conflict(action, 'the tenant has no keyring yet, so a version 2 block cannot be accepted; create the keyring first')
  }
  if (incoming.kid !== keyringKid) {
    throw new Conflict(action, `the block was encrypted under keyring ${incoming.kid}, but the tenant's current keyring is ${keyringKid}; encrypt it again`)
  }
  if (stored?.version === 2 && incoming.counter <= stored.counter) {
    throw new Conflict(action, `the block's counter ${incoming.counter} is not above the stored counter ${stored.counter} (an older or replayed copy); save from the latest version`)
  }
}
