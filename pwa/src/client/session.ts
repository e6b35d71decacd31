/**
 * Signing in and out, and the tenant's keyring: cached in IndexedDB, refreshed
 * from the API, created on first run. The account password goes to the API and is
 * not kept; the passphrase goes to the crypto worker only.
 */
import { signal } from '@preact/signals'
import type { KeyringResponse, LoginResponse } from '../shared/api_types.ts'
import type { UnlockOptions } from '../shared/crypto_protocol.ts'
import type { StoredKeyring } from '../shared/db.ts'
import { api, OfflineError } from './api.ts'
import { cryptoBridge } from './crypto_bridge.ts'
import { clearLocalData, getKeyring, getSession, putKeyring, putSession } from './store.ts'
import { lockStatus, session } from './state.ts'

/** The tenant's keyring as last seen (undefined: not loaded yet). */
export const keyring = signal<StoredKeyring | undefined>(undefined)

export async function signIn(email: string, password: string): Promise<void> {
  await start(await api<LoginResponse>('POST', '/api/auth/login', null, { email, password }))
}

export async function register(email: string, password: string, tenantName: string): Promise<void> {
  await start(await api<LoginResponse>('POST', '/api/auth/register', null, { email, password, tenantName }))
}

/**
 * Joins a tenant with a one-time invitation token and signs in as the invited member:
 * a new account takes `password` as its password (10+ characters), an existing one signs in with it.
 */
export async function acceptInvitation(invitationToken: string, password: string): Promise<void> {
  await start(await api<LoginResponse>('POST', '/api/auth/accept-invitation', null, { token: invitationToken, password }))
}

async function start(login: LoginResponse): Promise<void> {
  const previous = await getSession()
  // Another account's cached farm must not show under this one.
  if (previous && previous.tenant.id !== login.tenant.id) await clearLocalData(true)
  await putSession(login)
  session.value = login
  await loadKeyring()
}

/** Restores the session saved on this device, if any. */
export async function resume(): Promise<void> {
  const saved = await getSession()
  session.value = saved ?? null
  if (saved) await loadKeyring()
}

/** Reads the keyring from IndexedDB, then the API; unlocks from a remembered key when there is one. */
export async function loadKeyring(): Promise<void> {
  const current = session.value
  if (!current) return
  const tenantId = current.tenant.id
  keyring.value = (await getKeyring(tenantId)) ?? undefined
  try {
    const fresh = await api<KeyringResponse>('GET', '/api/keyring', current.token)
    keyring.value = { tenantId, keyring: fresh.keyring, revision: fresh.revision }
    await putKeyring(keyring.value)
  } catch (error) {
    if (!(error instanceof OfflineError)) throw error
  }
  const wrapped = keyring.value?.keyring
  if (wrapped) lockStatus.value = await cryptoBridge().call('restore', { tenantId, kid: wrapped.kid })
}

/** First run: makes the keyring in the worker and stores the wrapped copy on the server. */
export async function createTenantKeyring(passphrase: string, options: UnlockOptions): Promise<void> {
  const current = session.value!
  const tenantId = current.tenant.id
  const created = await cryptoBridge().call('createKeyring', { passphrase, tenantId, ...options })
  const saved = await api<KeyringResponse>('PUT', '/api/keyring', current.token, { keyring: created.keyring })
  keyring.value = { tenantId, keyring: saved.keyring, revision: saved.revision }
  await putKeyring(keyring.value)
  lockStatus.value = created.status
}

export async function unlock(passphrase: string, options: UnlockOptions): Promise<void> {
  const current = session.value!
  const wrapped = keyring.value!.keyring!
  lockStatus.value = await cryptoBridge().call('unlock', { keyring: wrapped, passphrase, tenantId: current.tenant.id, ...options })
}

export async function lock(): Promise<void> {
  lockStatus.value = await cryptoBridge().call('lock', {})
}

/** Signs out; unsent edits stay for the next sign-in of this account unless `wipe`. */
export async function signOut(wipe = false): Promise<void> {
  await lock()
  await clearLocalData(wipe)
  keyring.value = undefined
  session.value = null
}
