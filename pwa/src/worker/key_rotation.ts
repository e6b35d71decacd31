/**
 * Data-key rotation in the worker. A new keyring is made under the same passphrase
 * and held aside until the server has taken it (start); then it becomes the held
 * key, and the old one is kept only to re-encrypt what is still under the old kid.
 * After a reload the old key is unlocked again from the rotation's old wrapped
 * keyring, so an interrupted rotation resumes. Neither key ever leaves the worker.
 */
import { createKeyring, decryptBlock, encryptBlock, unlockKeyring, type BlockKind, type DataKey, type WrappedKeyring } from '../../../e2ee/mod.ts'
import type { StoredBlock } from '../shared/api_types.ts'
import type { LockStatus } from '../shared/crypto_protocol.ts'
import { hold, unlocked } from './key_holder.ts'

const coded = (code: string, message: string) => Object.assign(new Error(message), { code })

let pending: { key: DataKey; wrapped: WrappedKeyring; passphrase: string } | null = null
let previous: DataKey | null = null

function passphraseOf(given: string | undefined, action: string): string {
  const secret = given ?? unlocked().passphrase
  if (!secret) throw coded('needs_passphrase', `Cannot ${action}: enter your passphrase once more (the key remembered on this device cannot be copied out)`)
  return secret
}

/** Makes the next keyring (same passphrase, new data key and kid) and holds it aside. */
export async function beginRotation(args: { passphrase?: string }): Promise<WrappedKeyring> {
  const secret = passphraseOf(args.passphrase, 'rotate the data key')
  const { wrapped, key } = await createKeyring(secret, unlocked().key.tenantId)
  pending = { key, wrapped, passphrase: secret }
  return wrapped
}

/** The server took the new keyring: hold its key, keeping the old one for re-encryption. */
export async function adoptRotatedKey(args: { kid: string }): Promise<LockStatus> {
  if (!pending || pending.key.kid !== args.kid) throw coded('context_mismatch', 'Cannot finish starting the rotation: this device did not make that keyring; reload and resume')
  const current = unlocked()
  previous = current.key
  const next = pending
  pending = null
  return hold(next.key, next.passphrase, current.options)
}

async function oldKey(oldKeyring: WrappedKeyring, passphrase: string | undefined): Promise<DataKey> {
  if (previous?.kid === oldKeyring.kid) return previous
  previous = await unlockKeyring(oldKeyring, passphraseOf(passphrase, 'resume the rotation'), unlocked().key.tenantId)
  return previous
}

/**
 * Re-encrypts one block from the old kid to the held one, one counter above the
 * old block (the server refuses a counter not above the stored one).
 */
export async function reencryptBlock(args: { oldKeyring: WrappedKeyring; passphrase?: string; kind: BlockKind; subjectId: string; block: StoredBlock }): Promise<StoredBlock> {
  const { key, guard } = unlocked()
  const old = await oldKey(args.oldKeyring, args.passphrase)
  const scope = { tenantId: key.tenantId, kind: args.kind, subjectId: args.subjectId }
  const value = await decryptBlock(old, args.block, scope, { guard })
  const counter = Math.max((args.block.counter ?? 0) + 1, guard.highest(scope) + 1)
  const block = await encryptBlock(key, value, { ...scope, counter })
  guard.accept(scope, counter)
  return block
}

/** The rotation is complete: the old key is no longer needed anywhere. */
export function forgetOldKey(): null {
  previous = null
  return null
}
