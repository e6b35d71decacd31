/**
 * The collector's state directory (default `~/.hashinsight-edge`, mode 0700):
 *
 * ```
 * device.json      0600  api_url, device_id, tenant_id, site_id, token (from `enroll`)
 * device_key.json  0600  the device's ECDH P-256 key pair (JWK) and its fingerprint (from `enroll`)
 * rollback.json    0600  highest v2 counter accepted per (tenant, kind, miner)
 * pool_rollback.json 0600 the same for pool API keys (tenant, pool_api_key, key id)
 * last_sync.json   0600  the last miners list, wrapped keyring and key grant (ciphertext only)
 * spool/           0700  telemetry batches not yet acknowledged, one file each
 * ```
 *
 * Every file is written atomically (temp file, fsync, rename), so a crash leaves the
 * old copy or the new one, never half of one.
 */
import {
  createRollbackGuard, type DeviceKeyGrant, type DevicePublicKey, type JsonWebKeyLike, type RollbackGuard, rollbackGuardFromJSON, type WrappedKeyring,
} from '../e2ee/mod.ts'
import type { EdgeMinersResponse } from './api_client.ts'

/** What `enroll` stores; the token is the device's only credential. */
export interface DeviceState {
  api_url: string
  device_id: string
  tenant_id: string
  site_id: string
  token: string
}

/** The last good answers of the API, so a restart while it is down still polls. */
export interface LastSync {
  miners: EdgeMinersResponse
  keyring: WrappedKeyring | null
  /** This device's key grant, when it has one. */
  grant?: DeviceKeyGrant | null
}

/**
 * The device's key pair, made at enrolment. The private key must survive restarts,
 * so it is kept here (0600), the one place it exists; the grant is useless without it.
 */
export interface DeviceKeyFile {
  private_key: JsonWebKeyLike
  public_key: DevicePublicKey
  fingerprint: string
}

const FILE_MODE = 0o600
const DIR_MODE = 0o700
const encoder = new TextEncoder()

/** `$HOME/.hashinsight-edge` (or `%USERPROFILE%` on Windows). */
export function defaultStateDir(): string {
  const home = Deno.env.get('HOME') ?? Deno.env.get('USERPROFILE')
  if (!home) throw new Error('Cannot find a state directory: HOME is not set; pass --state-dir')
  return `${home}/.hashinsight-edge`
}

/** Creates `dir` (and parents) private to this user. */
export async function ensureDir(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: DIR_MODE })
}

function tempName(path: string): string {
  return `${path}.tmp-${crypto.randomUUID()}`
}

/** Writes `text` to `path` atomically with mode 0600. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temp = tempName(path)
  try {
    using file = await Deno.open(temp, { write: true, createNew: true, mode: FILE_MODE })
    const bytes = encoder.encode(text)
    let written = 0
    while (written < bytes.length) written += await file.write(bytes.subarray(written))
    await file.sync()
  } catch (error) {
    await Deno.remove(temp).catch(() => {})
    throw error
  }
  await Deno.rename(temp, path)
}

/** {@linkcode writeFileAtomic}, blocking: for callbacks that cannot wait. */
export function writeFileAtomicSync(path: string, text: string): void {
  const temp = tempName(path)
  try {
    using file = Deno.openSync(temp, { write: true, createNew: true, mode: FILE_MODE })
    const bytes = encoder.encode(text)
    let written = 0
    while (written < bytes.length) written += file.writeSync(bytes.subarray(written))
    file.syncSync()
  } catch (error) {
    try {
      Deno.removeSync(temp)
    } catch { /* nothing to clean */ }
    throw error
  }
  Deno.renameSync(temp, path)
}

async function readJson(path: string): Promise<unknown | undefined> {
  let text: string
  try {
    text = await Deno.readTextFile(path)
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined
    throw error
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new Error(`Cannot read ${path}: it is not JSON`)
  }
}

/** Stores the enrolment. */
export async function saveDevice(dir: string, device: DeviceState): Promise<void> {
  await ensureDir(dir)
  await writeFileAtomic(`${dir}/device.json`, JSON.stringify(device, null, 2) + '\n')
}

/** The enrolment, or undefined when this state dir has none. */
export async function loadDevice(dir: string): Promise<DeviceState | undefined> {
  const value = await readJson(`${dir}/device.json`) as Partial<DeviceState> | undefined
  if (value === undefined) return undefined
  const fields = ['api_url', 'device_id', 'tenant_id', 'site_id', 'token'] as const
  if (typeof value !== 'object' || value === null || !fields.every((f) => typeof value[f] === 'string' && value[f] !== '')) {
    throw new Error(`Cannot read ${dir}/device.json: it is not an enrolment; run 'enroll <code>' again`)
  }
  return value as DeviceState
}

/** Stores the device's key pair (0600). */
export async function saveDeviceKey(dir: string, key: DeviceKeyFile): Promise<void> {
  await ensureDir(dir)
  await writeFileAtomic(`${dir}/device_key.json`, JSON.stringify(key, null, 2) + '\n')
}

/** The device's key pair, or undefined when it enrolled without one. */
export async function loadDeviceKey(dir: string): Promise<DeviceKeyFile | undefined> {
  const value = await readJson(`${dir}/device_key.json`) as Partial<DeviceKeyFile> | undefined
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || typeof value.private_key?.d !== 'string' || typeof value.fingerprint !== 'string') {
    throw new Error(`Cannot read ${dir}/device_key.json: it is not a device key; run 'enroll <code>' again`)
  }
  return value as DeviceKeyFile
}

/**
 * The anti-rollback guard of this state dir, saved on every raise. A corrupt file
 * is an error, not a reset: resetting would let a stale block through. Each loop that
 * opens blocks keeps its own file (`pool_rollback.json` for pool keys): two guards
 * saving one file would each drop the other's counters.
 */
export async function openRollbackGuard(dir: string, file = 'rollback.json'): Promise<RollbackGuard> {
  const path = `${dir}/${file}`
  const onChange = (snapshot: unknown) => writeFileAtomicSync(path, JSON.stringify(snapshot))
  const saved = await readJson(path)
  if (saved === undefined) return createRollbackGuard(undefined, { onChange })
  try {
    return rollbackGuardFromJSON(saved, { onChange })
  } catch (error) {
    throw new Error(`Cannot read ${path}: ${(error as Error).message}; restore it from a backup, or delete it only if you trust the API's current blocks`)
  }
}

/** Remembers the last miners list and keyring. */
export async function saveLastSync(dir: string, sync: LastSync): Promise<void> {
  await writeFileAtomic(`${dir}/last_sync.json`, JSON.stringify(sync))
}

/** The last miners list and keyring, if any was saved. */
export async function loadLastSync(dir: string): Promise<LastSync | undefined> {
  const value = await readJson(`${dir}/last_sync.json`) as LastSync | undefined
  return value && typeof value === 'object' && Array.isArray(value.miners?.miners) ? value : undefined
}
