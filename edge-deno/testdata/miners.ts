/** Test helpers: a tenant keyring and site miners with blocks made by e2ee/, as the API lists them. */
import { createKeyring, type DataKey, encryptBlock, encryptObject, type WrappedKeyring } from '../../e2ee/mod.ts'
import type { EdgeMiner } from '../targets.ts'

export const TENANT = '11111111-1111-4111-8111-111111111111'
export const SITE = '22222222-2222-4222-8222-222222222222'
export const PASSPHRASE = 'orchard-lantern-quartz-71'

let shared: Promise<{ wrapped: WrappedKeyring; key: DataKey }> | undefined
/**
 * One keyring for the whole test run: PBKDF2 at 600 000 iterations is slow on purpose.
 * Its key is grantable, as in the owner's worker, so tests can grant it to a device.
 */
export function testKeyring(): Promise<{ wrapped: WrappedKeyring; key: DataKey }> {
  return shared ??= createKeyring(PASSPHRASE, TENANT, { grantable: true })
}

/** A miner id whose last digits are `n`. */
export const minerId = (n: number) => `33333333-3333-4333-8333-${String(n).padStart(12, '0')}`

/** A Plan A miner (plaintext address) with no blocks. */
export function planA(n: number, ip: string | null, port: number | null = 4028): EdgeMiner {
  return {
    id: minerId(n), name: `miner-${n}`, model: null, use_full_e2ee: false, ip_address: ip, port,
    encrypted_credentials: null, encrypted_connection_full: null, revision: 1,
  }
}

export const CREDS = { username: 'root-operator-7731', password: 'S3cret-miner-pw-9911', pool_password: 'pool-pw-ZX81-unique' }

/** A Plan A miner whose credentials are a v2 block (or v1 with `v1`). */
export async function planAWithCreds(n: number, ip: string, port: number, options: { counter?: number; v1?: boolean } = {}): Promise<EdgeMiner> {
  const { key } = await testKeyring()
  const block = options.v1
    ? await encryptObject(CREDS, PASSPHRASE)
    : await encryptBlock(key, CREDS, { tenantId: TENANT, kind: 'credentials', subjectId: minerId(n), counter: options.counter ?? 1 })
  return { ...planA(n, ip, port), encrypted_credentials: block }
}

/** A Plan B (full E2EE) miner: address and login only inside its v2 connection block. */
export async function planB(n: number, connection: Record<string, unknown>, counter = 1): Promise<EdgeMiner> {
  const { key } = await testKeyring()
  const block = await encryptBlock(key, connection, { tenantId: TENANT, kind: 'connection_full', subjectId: minerId(n), counter })
  return { ...planA(n, null, null), use_full_e2ee: true, encrypted_connection_full: block }
}
