import { ApiClient } from '../api_client.ts'
import { COMMON_FLAG_HELP } from '../config.ts'
import { commandConfig } from './_config.ts'
import { loadDevice, saveDevice, saveDeviceKey } from '../state.ts'
import { createDeviceKeyPair, deviceFingerprint } from '../../e2ee/mod.ts'
import { type Command, fail, reasonOf } from './_command.ts'

const help = `Usage: edge-deno enroll <code> --api <url> [options]

Pairs this collector with a site: claims the one-time enrolment code shown when the
device was added (POST /api/sites/:siteId/devices) and stores the device token in
<state-dir>/device.json (mode 0600). The token is never printed.

It also makes this device's ECDH P-256 key pair (<state-dir>/device_key.json, 0600)
and prints the public key's fingerprint. Compare it with the one the app shows for
the device, then grant it the data key there: 'run' then needs no passphrase.

Options:
${COMMON_FLAG_HELP}
  --api-timeout <ms>       deadline per API request (default 15000)
  -h, --help               show this help`

const enroll: Command = {
  name: 'enroll',
  summary: 'pair this collector with a site using a one-time enrolment code',
  help,
  async run(args) {
    const loaded = await commandConfig(args, help)
    if ('exit' in loaded) return loaded.exit
    const { config } = loaded
    if (config.positionals.length !== 1) return fail('Cannot enroll: expected one <code>')
    if (!config.apiUrl) return fail('Cannot enroll: no API URL; pass --api <url> or set HASHINSIGHT_API_URL')
    try {
      const existing = await loadDevice(config.stateDir).catch(() => undefined)
      const api = new ApiClient({ baseUrl: config.apiUrl, timeoutMs: config.apiTimeoutMs })
      const pair = await createDeviceKeyPair({ exportPrivate: true })
      const fingerprint = await deviceFingerprint(pair.publicKey)
      const enrolled = await api.enroll(config.positionals[0], pair.publicKey)
      // A new enrolment is a new device: its old key pair must not outlive its old token.
      await saveDeviceKey(config.stateDir, { private_key: pair.privateKeyJwk!, public_key: pair.publicKey, fingerprint })
      await saveDevice(config.stateDir, { api_url: config.apiUrl, ...pick(enrolled) })
      if (existing) console.error(`Replaced the earlier enrolment (device ${existing.device_id}) in ${config.stateDir}`)
      console.log(`Enrolled device ${enrolled.device_id} for site ${enrolled.site_id}; state in ${config.stateDir}`)
      if (enrolled.fingerprint && enrolled.fingerprint !== fingerprint) {
        console.error(`Warning: the API reports fingerprint ${enrolled.fingerprint} for this device's key, not ${fingerprint}; do not grant it`)
      }
      console.log(`Device key fingerprint: ${fingerprint} (compare it in the app before granting this device the data key)`)
      return 0
    } catch (error) {
      return fail(reasonOf(error))
    }
  },
}

/** Only the fields we keep, whatever else a future API adds. */
function pick(e: { device_id: string; tenant_id: string; site_id: string; token: string }) {
  return { device_id: e.device_id, tenant_id: e.tenant_id, site_id: e.site_id, token: e.token }
}

export default enroll
