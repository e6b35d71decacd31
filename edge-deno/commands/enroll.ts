import { ApiClient } from '../api_client.ts'
import { COMMON_FLAG_HELP } from '../config.ts'
import { commandConfig } from './_config.ts'
import { loadDevice, saveDevice } from '../state.ts'
import { type Command, fail, reasonOf } from './_command.ts'

const help = `Usage: edge-deno enroll <code> --api <url> [options]

Pairs this collector with a site: claims the one-time enrolment code shown when the
device was added (POST /api/sites/:siteId/devices) and stores the device token in
<state-dir>/device.json (mode 0600). The token is never printed.

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
      const enrolled = await api.enroll(config.positionals[0])
      await saveDevice(config.stateDir, { api_url: config.apiUrl, ...pick(enrolled) })
      if (existing) console.error(`Replaced the earlier enrolment (device ${existing.device_id}) in ${config.stateDir}`)
      console.log(`Enrolled device ${enrolled.device_id} for site ${enrolled.site_id}; state in ${config.stateDir}`)
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
