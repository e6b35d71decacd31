/**
 * A miner's secrets for the editor: the newest encrypted copy (a queued edit wins
 * over the server's older one), decrypted in the worker; and saves, encrypted in
 * the worker and queued in the outbox. Counters rise by one per save and the
 * worker's rollback guard refuses an older block than this device has seen.
 */
import type { BlockKind, Credentials, FullConnection, Miner, StoredBlock } from '../shared/api_types.ts'
import { api, OfflineError } from './api.ts'
import { CryptoError, cryptoBridge } from './crypto_bridge.ts'
import { enqueue, queuedBlock } from './outbox.ts'
import { getBlock, getMiner, putBlock, putMiner } from './store.ts'
import { session } from './state.ts'

export interface MinerSecrets {
  miner: Miner
  /** Full E2EE as it will be once queued edits are sent. */
  fullMode: boolean
  /** The plaintext address in Plan A (from the server, or a queued switch back). */
  address: { ip_address: string | null; port: number | null }
  credentials: Partial<Credentials> | null
  connection: Partial<FullConnection> | null
  counters: Record<BlockKind, number>
  /** Blocks that could not be opened, in words for the owner. */
  problems: string[]
}

const ROLLBACK = 'The server sent an older copy of this miner\'s secrets than this device has already seen, so it was refused. Someone may have tampered with it; check the values before saving again.'

/** Fetches the miner's metadata and blocks from the API into IndexedDB (offline: keeps the cache). */
async function refresh(minerId: string): Promise<void> {
  const token = session.value!.token
  try {
    const [miner, creds, conn] = await Promise.all([
      api<Miner>('GET', `/api/miners/${minerId}`, token),
      api<{ encrypted_credentials: StoredBlock | null }>('GET', `/api/miners/${minerId}/credentials`, token),
      api<{ encrypted_connection_full: StoredBlock | null }>('GET', `/api/miners/${minerId}/connection_full`, token),
    ])
    await Promise.all([putMiner(miner), putBlock(minerId, 'credentials', creds.encrypted_credentials), putBlock(minerId, 'connection_full', conn.encrypted_connection_full)])
  } catch (error) {
    if (!(error instanceof OfflineError)) throw error
  }
}

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

/** Loads and decrypts what the editor shows; `fromNetwork` refreshes from the API first. */
export async function loadSecrets(minerId: string, fromNetwork = true): Promise<MinerSecrets | null> {
  if (fromNetwork) await refresh(minerId)
  const miner = await getMiner(minerId)
  if (!miner) return null
  const queuedConn = queuedBlock(minerId, 'connection_full')
  const queuedSwitch = queuedConn?.entry.body as { use_full_e2ee?: boolean; ip_address?: string; port?: number } | undefined
  const credBlock = queuedBlock(minerId, 'credentials')?.block ?? (await getBlock(minerId, 'credentials'))
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

async function queueBlock(secrets: MinerSecrets, kind: 'credentials' | 'connection_full', value: unknown, body: (block: StoredBlock) => unknown): Promise<void> {
  const { miner } = secrets
  const block = await cryptoBridge().call('encrypt', { kind, subjectId: miner.id, minCounter: secrets.counters[kind] + 1, value })
  secrets.counters[kind] = block.counter ?? secrets.counters[kind] + 1
  const current = session.value!
  await enqueue({ tenantId: current.tenant.id, minerId: miner.id, kind, path: `/api/miners/${miner.id}/${kind}`, body: body(block) }, current.token)
}

/** Plan A: the login and pool password as one `credentials` block. */
export function saveCredentials(secrets: MinerSecrets, credentials: Credentials): Promise<void> {
  return queueBlock(secrets, 'credentials', credentials, (block) => ({ encrypted_credentials: block }))
}

/** Full E2EE on: address, port, login and pool account as one `connection_full` block. */
export function saveFullConnection(secrets: MinerSecrets, connection: FullConnection): Promise<void> {
  return queueBlock(secrets, 'connection_full', connection, (block) => ({ use_full_e2ee: true, encrypted_connection_full: block }))
}

/** Full E2EE off (owner/admin): the address goes back in plain text and the login stays a Plan A block. */
export async function disableFullConnection(secrets: MinerSecrets, connection: FullConnection): Promise<void> {
  const { miner } = secrets
  const current = session.value!
  await enqueue({
    tenantId: current.tenant.id,
    minerId: miner.id,
    kind: 'connection_full',
    path: `/api/miners/${miner.id}/connection_full`,
    body: { use_full_e2ee: false, ip_address: connection.ip_address, port: connection.port },
  }, current.token)
  await saveCredentials(secrets, { username: connection.username, password: connection.password, pool_password: connection.pool_password })
}
