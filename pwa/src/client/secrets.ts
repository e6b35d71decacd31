/**
 * A miner's secrets for the editor: the newest encrypted copy (a queued edit wins
 * over the server's older one), decrypted in the worker; and saves, encrypted in
 * the worker and queued in the outbox for the sync engine to send. Counters rise
 * by one per save and the worker's rollback guard refuses an older block than
 * this device has seen.
 */
import type { BlockKind, Credentials, FullConnection, Miner, QueuedChange } from '../shared/api_types.ts'
import { CryptoError, cryptoBridge } from './crypto_bridge.ts'
import { enqueue, queuedChange } from './outbox.ts'
import { getBlock, getMiner } from './store.ts'
import { session } from './state.ts'
import { pullNow, requestPush } from './sync_engine.ts'

export interface MinerSecrets {
  miner: Miner
  /** Full E2EE as it will be once queued edits are sent. */
  fullMode: boolean
  /** The plaintext address in Plan A (from the server, or a queued switch back). */
  address: { ip_address: string | null; port: number | null }
  credentials: Partial<Credentials> | null
  connection: Partial<FullConnection> | null
  counters: Record<Exclude<BlockKind, 'command'>, number> // a command is sealed once, never counted
  /** Blocks that could not be opened, in words for the owner. */
  problems: string[]
}

const ROLLBACK = 'The server sent an older copy of this miner\'s secrets than this device has already seen, so it was refused. Someone may have tampered with it; check the values before saving again.'

async function open<T>(kind: BlockKind, minerId: string, block: unknown, problems: string[]): Promise<T | null> {
  if (!block) return null
  try {
    return (await cryptoBridge().call('decrypt', { kind, subjectId: minerId, block })) as T
  } catch (error) {
    const code = error instanceof CryptoError ? error.code : ''
    problems.push(code === 'rollback' ? ROLLBACK : (error as Error).message)
    return null
  }
}

/** Loads and decrypts what the editor shows; `fromNetwork` first pulls the server's changes (offline: the cache stands). */
export async function loadSecrets(minerId: string, fromNetwork = true): Promise<MinerSecrets | null> {
  if (fromNetwork) await pullNow()
  const miner = await getMiner(minerId)
  if (!miner) return null
  const queuedConn = queuedChange(minerId, 'connection_full')
  const queuedSwitch = queuedConn?.entry.change as { use_full_e2ee?: boolean; ip_address?: string; port?: number } | undefined
  const credBlock = queuedChange(minerId, 'credentials')?.block ?? (await getBlock(minerId, 'credentials'))
  const connBlock = queuedConn ? queuedConn.block : await getBlock(minerId, 'connection_full')
  const problems: string[] = []
  const counterOf = (block: unknown) => (block as { counter?: number } | null)?.counter ?? 0
  return {
    miner,
    fullMode: queuedSwitch?.use_full_e2ee ?? miner.use_full_e2ee,
    address: queuedSwitch?.use_full_e2ee === false
      ? { ip_address: queuedSwitch.ip_address ?? null, port: queuedSwitch.port ?? null }
      : { ip_address: miner.ip_address, port: miner.port },
    credentials: await open<Credentials>('credentials', minerId, credBlock, problems),
    connection: await open<FullConnection>('connection_full', minerId, connBlock, problems),
    counters: { credentials: counterOf(credBlock), connection_full: counterOf(connBlock), pool_api_key: 0 },
    problems,
  }
}

async function encryptChange(secrets: MinerSecrets, kind: 'credentials' | 'connection_full', value: unknown): Promise<QueuedChange> {
  const block = await cryptoBridge().call('encrypt', { kind, subjectId: secrets.miner.id, minCounter: secrets.counters[kind] + 1, value })
  secrets.counters[kind] = block.counter ?? secrets.counters[kind] + 1
  return kind === 'credentials' ? { kind, block } : { kind, use_full_e2ee: true, block }
}

async function queue(secrets: MinerSecrets, changes: QueuedChange[]): Promise<void> {
  const tenantId = session.value!.tenant.id
  await enqueue(changes.map((change) => ({ tenantId, minerId: secrets.miner.id, change })))
  requestPush()
}

/** Plan A: the login and pool password as one `credentials` block. */
export async function saveCredentials(secrets: MinerSecrets, credentials: Credentials): Promise<void> {
  await queue(secrets, [await encryptChange(secrets, 'credentials', credentials)])
}

/** Full E2EE on: address, port, login and pool account as one `connection_full` block. */
export async function saveFullConnection(secrets: MinerSecrets, connection: FullConnection): Promise<void> {
  await queue(secrets, [await encryptChange(secrets, 'connection_full', connection)])
}
