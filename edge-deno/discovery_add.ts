/**
 * `scan --add`: turns what a scan found into miners of the device's site. Miners
 * already on the site (by address, decrypting full-E2EE connections here) are
 * skipped. With `fullE2ee`, each new miner gets an id chosen here and its whole
 * connection encrypted for that id as a v2 block, so the server never sees where it is.
 */
import { encryptBlock, unlockKeyring } from '../e2ee/mod.ts'
import type { ApiClient, DiscoveredMiner } from './api_client.ts'
import type { FoundMiner } from './discovery.ts'
import { openRollbackGuard } from './state.ts'
import { MinerResolver } from './targets.ts'

export interface AddOptions {
  api: ApiClient
  tenantId: string
  stateDir: string
  passphrase?: string
  fullE2ee: boolean
}

export interface AddResult {
  created: string[]
  skipped: number
}

/** Adds the found miners that answered and are not on the site yet. */
export async function addDiscovered(found: readonly FoundMiner[], options: AddOptions): Promise<AddResult> {
  const { api, tenantId, passphrase, fullE2ee } = options
  if (fullE2ee && passphrase === undefined) throw new Error('Cannot add miners with full E2EE: a passphrase is needed to encrypt their connections')
  const [{ miners }, { keyring }] = await Promise.all([api.miners(), api.keyring()])
  const resolver = new MinerResolver({ tenantId, passphrase, guard: await openRollbackGuard(options.stateDir) })
  const { targets, unpolled } = await resolver.resolve(miners, keyring)
  // A miner whose address cannot be read here could be one of these: adding would duplicate it.
  if (unpolled.length > 0) {
    throw new Error(`Cannot add miners: ${unpolled.length} miner(s) of the site cannot be decrypted here (${unpolled[0]!.message}), so duplicates could not be told apart`)
  }
  const known = new Set(targets.map((t) => `${t.address.hostname}:${t.address.port}`))
  const fresh = found.filter((m) => m.error === null && !known.has(m.address))
  if (fresh.length === 0) return { created: [], skipped: found.length }
  const key = fullE2ee ? await unlockKeyring(keyring, passphrase!, tenantId) : undefined
  const payload: DiscoveredMiner[] = []
  for (const m of fresh) {
    const id = crypto.randomUUID()
    const [host, port] = [m.address.slice(0, m.address.lastIndexOf(':')), Number(m.address.slice(m.address.lastIndexOf(':') + 1))]
    const model = m.model ?? undefined
    if (key) {
      const connection = { ip_address: host, port, username: '', password: '', pool_url: '', pool_user: '', pool_password: '' }
      const block = await encryptBlock(key, connection, { tenantId, kind: 'connection_full', subjectId: id, counter: 1 })
      // The name is all the server reads about a full-E2EE miner: model and a short id, no address.
      payload.push({ id, name: `${model ?? 'Miner'} ${id.slice(0, 6)}`, ...(model ? { model } : {}), use_full_e2ee: true, encrypted_connection_full: block })
    } else {
      payload.push({ id, name: `${model ?? 'Miner'} ${host}`, ...(model ? { model } : {}), ip_address: host, port })
    }
  }
  const { created } = await api.addMiners(payload)
  return { created, skipped: found.length - fresh.length }
}
