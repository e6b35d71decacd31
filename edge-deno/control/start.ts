/**
 * Starts the command runner beside the collector in `run`: same device, API and
 * stop signal; the miners it acts on are the collector's latest decrypted targets.
 * The data key comes from this device's key grant when it names the current keyring,
 * else from the keyring and the passphrase; once per keyring id, as the runner starts.
 */
import { type CryptoKeyHandle, type DataKey, openDeviceGrant, unlockKeyring } from '../../e2ee/mod.ts'
import { ApiClient } from '../api_client.ts'
import type { DeviceState } from '../state.ts'
import type { MinerTarget, Resolution } from '../targets.ts'
import type { Vendor } from '../cgminer/identify.ts'
import type { MinerTelemetry } from '../telemetry.ts'
import { CommandApi } from './command_api.ts'
import { runCommands } from './runner.ts'

export interface StartOptions {
  device: DeviceState
  stateDir: string
  apiUrl?: string
  passphrase?: string
  /** The device's ECDH private key: with the owner's grant for the current keyring, no passphrase is needed. */
  devicePrivateKey?: CryptoKeyHandle
  /** Port of the miners' web interfaces (env HASHINSIGHT_MINER_WEB_PORT, default 80). */
  webPort?: number
  timeoutMs?: number
  signal: AbortSignal
  log: (line: string) => void
}

/** A running command runner: feed it the collector's resolutions and polls; `done` settles when it stops. */
export interface StartedRunner {
  onResolution(resolution: Resolution): void
  onPolled(ids: readonly string[], telemetry: readonly MinerTelemetry[]): void
  done: Promise<void>
}

/** Starts fetching and running commands until `signal` aborts. */
export function startCommandRunner(options: StartOptions): StartedRunner {
  const { device, passphrase, devicePrivateKey, signal } = options
  const baseUrl = options.apiUrl ?? device.api_url
  let targets: readonly MinerTarget[] = []
  // Last known family per miner: an offline poll keeps what was seen before. Pruned
  // to the current miners at each resolution, so it stays as large as the site.
  const vendors = new Map<string, Vendor>()
  let unlocked: { kid: string; key: Promise<DataKey> } | undefined
  const dataKey = async (): Promise<DataKey | null> => {
    const api = new ApiClient({ baseUrl, token: device.token, signal })
    const { keyring } = await api.keyring()
    if (!keyring) return null
    if (unlocked?.kid !== keyring.kid) {
      const { grant } = devicePrivateKey ? await api.grant() : { grant: null }
      const key = grant && grant.kid === keyring.kid
        ? openDeviceGrant(grant, devicePrivateKey!, { tenantId: device.tenant_id, deviceId: device.device_id })
        : passphrase !== undefined ? unlockKeyring(keyring, passphrase, device.tenant_id) : null
      if (!key) return null
      unlocked = { kid: keyring.kid, key }
    }
    const key = await unlocked.key.catch(() => null)
    // A grant or passphrase that did not open the key is tried again at the next command.
    if (!key) unlocked = undefined
    return key
  }
  // Unlocked now (PBKDF2 takes about a second), not when the first command is waiting.
  void dataKey().catch(() => {})
  const envPort = Number(Deno.env.get('HASHINSIGHT_MINER_WEB_PORT'))
  const done = runCommands({
    api: new CommandApi({ baseUrl, token: device.token, signal }),
    scope: { tenantId: device.tenant_id, siteId: device.site_id },
    stateDir: options.stateDir,
    dataKey,
    targets: () => targets,
    vendorOf: (id) => vendors.get(id),
    webPort: options.webPort ?? (Number.isInteger(envPort) && envPort > 0 ? envPort : 80),
    timeoutMs: options.timeoutMs,
    signal,
    log: options.log,
  })
  return {
    onResolution(resolution) {
      targets = resolution.targets
      const current = new Set(targets.map((t) => t.id))
      for (const id of vendors.keys()) if (!current.has(id)) vendors.delete(id)
    },
    onPolled(ids, telemetry) {
      telemetry.forEach((t, i) => t.online && t.vendor !== 'unknown' && vendors.set(ids[i]!, t.vendor))
    },
    done,
  }
}
