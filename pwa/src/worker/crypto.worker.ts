/**
 * The crypto worker: every KDF, encryption and decryption of the app runs here,
 * off the page's thread, through e2ee/mod.ts (the same code as the API tests and
 * the edge). The page speaks to it only through client/crypto_bridge.ts.
 */
import { type Command, createKeyring, decryptBlock, decryptObject, encryptBlock, openCommand, sealCommand, unlockKeyring, type BlockKind } from '../../../e2ee/mod.ts'
import type { CryptoFailure, CryptoOp, CryptoOps, CryptoRequest, CryptoResponse } from '../shared/crypto_protocol.ts'
import { hold, lock, restore, status, touch, unlocked, whenAutoLocked } from './key_holder.ts'
import { fingerprintOf, grantDevice } from './device_grants.ts'
import { poolKeyFingerprint } from './pool_key_fingerprint.ts'
import { adoptRotatedKey, beginRotation, forgetOldKey, reencryptBlock } from './key_rotation.ts'

declare const self: DedicatedWorkerGlobalScope

type Handlers = { [K in CryptoOp]: (args: CryptoOps[K]['args']) => Promise<CryptoOps[K]['result']> | CryptoOps[K]['result'] }

const scope = (kind: BlockKind, subjectId: string) => ({ tenantId: unlocked().key.tenantId, kind, subjectId })

const handlers: Handlers = {
  async createKeyring({ passphrase, tenantId, ...options }) {
    const { wrapped, key } = await createKeyring(passphrase, tenantId)
    return { keyring: wrapped, status: await hold(key, passphrase, options) }
  },
  async unlock({ keyring, passphrase, tenantId, ...options }) {
    const key = await unlockKeyring(keyring, passphrase, tenantId)
    return hold(key, passphrase, options)
  },
  restore: ({ tenantId, kid }) => restore(tenantId, kid),
  lock: () => lock(),
  status: () => status(),
  touch: () => (touch(), null),
  async encrypt({ kind, subjectId, minCounter, value }) {
    const { key, guard } = unlocked()
    const context = { ...scope(kind, subjectId), counter: Math.max(minCounter, guard.highest(scope(kind, subjectId)) + 1) }
    const block = await encryptBlock(key, value, context)
    // Our own save is the newest copy we know: an older one served later is a rollback.
    guard.accept(context, context.counter)
    return block
  },
  decrypt: ({ kind, subjectId, block, passphrase }) => open(kind, subjectId, block, passphrase, true),
  decryptCopy: ({ kind, subjectId, block, passphrase }) => open(kind, subjectId, block, passphrase, false),
  highestCounter: ({ kind, subjectId }) => unlocked().guard.highest(scope(kind, subjectId)),
  deviceFingerprint: ({ publicKey }) => fingerprintOf(publicKey),
  grantDevice: (args) => grantDevice(args),
  beginRotation: (args) => beginRotation(args),
  adoptRotatedKey: (args) => adoptRotatedKey(args),
  reencryptBlock: (args) => reencryptBlock(args),
  forgetOldKey: () => forgetOldKey(),
  async sealPoolKey({ id, minCounter, value }) {
    return { block: await handlers.encrypt({ kind: 'pool_api_key', subjectId: id, minCounter, value }), fingerprint: await poolKeyFingerprint(value) }
  },
  // The tenant comes from the key, so a command is always sealed for the tenant that can open it.
  sealCommand: ({ command }) => sealCommand(unlocked().key, { ...command, tenant: unlocked().key.tenantId } as Command),
  // Expiry keeps the edge from acting late; the issuer reading its own command back is not acting.
  openOwnCommand: ({ block, siteId, commandId }) => openCommand(unlocked().key, block, { tenantId: unlocked().key.tenantId, siteId, commandId, now: 0 }),
}

async function open(kind: BlockKind, subjectId: string, block: unknown, passphrase: string | undefined, guarded: boolean): Promise<unknown> {
  const { key, guard, passphrase: held } = unlocked()
  if ((block as { version?: unknown } | null)?.version === 1) {
    const secret = passphrase ?? held
    if (!secret) throw Object.assign(new Error('Cannot decrypt an old (v1) block: enter your passphrase once more'), { code: 'needs_passphrase' })
    return decryptObject(block, secret)
  }
  return decryptBlock(key, block, scope(kind, subjectId), guarded ? { guard } : {})
}

function failure(error: unknown): CryptoFailure {
  const e = error as { code?: unknown; name?: unknown; message?: unknown }
  // Only our own errors carry a code; anything else is a bug, reported without details.
  if (typeof e?.code === 'string') return { code: e.code, name: String(e.name ?? 'Error'), message: String(e.message) }
  return { code: 'internal', name: 'Error', message: 'Cannot complete the operation: unexpected error in the crypto worker' }
}

const reply = (message: CryptoResponse) => self.postMessage(message)

whenAutoLocked((lockStatus) => reply({ event: 'locked', status: lockStatus }))

self.onmessage = async (event: MessageEvent<CryptoRequest>) => {
  const { id, op, args } = event.data
  try {
    const handler = handlers[op] as (args: unknown) => unknown
    if (!handler) throw Object.assign(new Error(`Cannot run ${String(op)}: unknown operation`), { code: 'unknown_op' })
    reply({ id, ok: true, result: await handler(args) })
  } catch (error) {
    if ((error as { code?: unknown })?.code === undefined) console.error('crypto worker:', error)
    reply({ id, ok: false, error: failure(error) })
  }
}
