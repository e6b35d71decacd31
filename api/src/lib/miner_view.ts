import type { MinerRow } from '../models/miner.ts'
import type { MinerResponse } from '../schemas/miners.ts'

/** Miner metadata as the API shows it; blocks stay behind the secret routes. */
export function minerView(m: MinerRow): MinerResponse {
  return {
    id: m.id,
    site_id: m.site_id,
    name: m.name,
    model: m.model,
    ip_address: m.ip_address,
    port: m.port,
    use_full_e2ee: m.use_full_e2ee,
    has_credentials: m.encrypted_credentials !== null,
    revision: Number(m.revision),
    created_at: new Date(m.created_at).toISOString(),
    updated_at: new Date(m.updated_at).toISOString(),
  }
}
