/**
 * Messages between the page and the crypto worker. The page sends passphrases
 * in (once) and plaintext to encrypt; it gets back blocks, plaintext it asked to
 * decrypt, and status. The data key never crosses this boundary.
 */
import type { BlockKind, StoredBlock, WrappedKeyring } from './api_types.ts'
import type { Command } from '../../../e2ee/command.ts'
import type { DeviceKeyGrant, DevicePublicKey } from '../../../e2ee/schema.ts'

/** A pool API key's secret part, as sealed in a `pool_api_key` block. */
export interface PoolKeySecret {
  api_key: string
  api_secret: string
  /** The pool account the pool signs with (Antpool's user id); only inside the block. */
  account?: string
  /**
   * The pool the key is for, sealed so the edge sends the key only to that pool: the
   * plaintext label beside the block is the server's to change. Blocks sealed before
   * this have none, and the edge then follows the label.
   */
  pool?: string
}

/** How the key stays unlocked: in memory only, or also in IndexedDB for this device. */
export interface UnlockOptions {
  /** Keep the non-extractable key in IndexedDB so a reload stays unlocked. */
  remember: boolean
  /** Lock after this long without activity; 0 never. */
  autoLockMs: number
}

export interface LockStatus {
  unlocked: boolean
  tenantId: string | null
  kid: string | null
  /** The passphrase is in the worker's memory (needed only for old v1 blocks). */
  hasPassphrase: boolean
}

/** Every operation: its arguments and its result. */
export interface CryptoOps {
  createKeyring: { args: { passphrase: string; tenantId: string } & UnlockOptions; result: { keyring: WrappedKeyring; status: LockStatus } }
  unlock: { args: { keyring: WrappedKeyring; passphrase: string; tenantId: string } & UnlockOptions; result: LockStatus }
  /** Unlocks from the key remembered on this device, if any and not expired. */
  restore: { args: { tenantId: string; kid: string }; result: LockStatus }
  lock: { args: Record<string, never>; result: LockStatus }
  status: { args: Record<string, never>; result: LockStatus }
  /** The user did something: pushes the auto-lock back. */
  touch: { args: Record<string, never>; result: null }
  /** Encrypts as a v2 block at max(minCounter, highest seen + 1). */
  encrypt: { args: { kind: BlockKind; subjectId: string; minCounter: number; value: unknown }; result: StoredBlock }
  /** Decrypts a v1 or v2 block; v2 passes the rollback guard. `passphrase` is for v1 after a restore. */
  decrypt: { args: { kind: BlockKind; subjectId: string; block: unknown; passphrase?: string }; result: unknown }
  /**
   * Decrypts one side of a sync conflict without the rollback guard: both copies
   * must open although one is older, and neither may raise the guard (the owner's
   * choice is saved above both). The page labels the result as the server's or this device's copy.
   */
  decryptCopy: { args: { kind: BlockKind; subjectId: string; block: unknown; passphrase?: string }; result: unknown }
  /** Seals a remote-control command for the unlocked tenant (the worker fills in `tenant`). */
  sealCommand: { args: { command: Omit<Command, 'tenant'> }; result: StoredBlock }
  /** Opens a command this device sealed (kept locally), also after its expiry. */
  openOwnCommand: { args: { block: unknown; siteId: string; commandId: string }; result: Command }
  /** The fingerprint of an edge device's public key, computed here rather than trusted from the server. */
  deviceFingerprint: { args: { publicKey: DevicePublicKey }; result: string }
  /**
   * Wraps the data key for an edge device whose fingerprint the owner confirmed. The
   * worker re-unlocks `keyring` as grantable with the passphrase it holds, or with
   * `passphrase` (code `needs_passphrase` when it holds none). Without
   * `confirmedFingerprint` (a re-grant after rotation) the one confirmed earlier on
   * this device is used (code `needs_comparison` when there is none).
   */
  grantDevice: { args: { keyring: WrappedKeyring; deviceId: string; publicKey: DevicePublicKey; confirmedFingerprint?: string; passphrase?: string }; result: DeviceKeyGrant }
  /** Seals a pool API key as a `pool_api_key` block for its id, with its fingerprint (never characters of the key). */
  sealPoolKey: { args: { id: string; minCounter: number; value: PoolKeySecret }; result: { block: StoredBlock; fingerprint: string } }
  /** Key rotation: makes the next keyring under the same passphrase and holds its key aside. */
  beginRotation: { args: { passphrase?: string }; result: WrappedKeyring }
  /** Key rotation: the server took keyring `kid`; hold its key, keeping the old one to re-encrypt with. */
  adoptRotatedKey: { args: { kid: string }; result: LockStatus }
  /** Key rotation: one block from the old kid to the held one (the old key unlocked from `oldKeyring` after a reload). */
  reencryptBlock: { args: { oldKeyring: WrappedKeyring; passphrase?: string; kind: BlockKind; subjectId: string; block: StoredBlock }; result: StoredBlock }
  /** Key rotation complete: drops the old key. */
  forgetOldKey: { args: Record<string, never>; result: null }
  /** Highest counter accepted for (kind, subject): the next save goes above it. */
  highestCounter: { args: { kind: BlockKind; subjectId: string }; result: number }
}

export type CryptoOp = keyof CryptoOps

export interface CryptoRequest<K extends CryptoOp = CryptoOp> {
  id: number
  op: K
  args: CryptoOps[K]['args']
}

/** An error as it crosses postMessage (classes are lost): e2ee's stable code and safe message. */
export interface CryptoFailure {
  code: string
  name: string
  message: string
}

export type CryptoResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: CryptoFailure }
  /** Sent unasked when the worker locks itself (idle). */
  | { event: 'locked'; status: LockStatus }
