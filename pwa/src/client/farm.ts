/**
 * Sites and miners: read from IndexedDB first, then refreshed from the API when
 * reachable. Offline, the cached copy is what the owner sees.
 */
import type { Miner, Site } from '../shared/api_types.ts'
import { api, OfflineError } from './api.ts'
import { listMiners, listSites, putMiner, replaceSiteMiners, replaceSites } from './store.ts'
import { session } from './state.ts'

const token = () => session.value?.token ?? null

/** Swallows "offline" (the cache stands) and rethrows anything else. */
const unlessOffline = (error: unknown) => {
  if (!(error instanceof OfflineError)) throw error
}

/** Calls `show` with the cached sites, then again with the server's when it answers. */
export async function loadSites(show: (sites: Site[]) => void): Promise<void> {
  show(sortByName(await listSites()))
  try {
    const { sites } = await api<{ sites: Site[] }>('GET', '/api/sites', token())
    await replaceSites(sites)
    show(sites)
  } catch (error) {
    unlessOffline(error)
  }
}

export async function createSite(name: string): Promise<Site> {
  const site = await api<Site>('POST', '/api/sites', token(), { name })
  await replaceSites([...(await listSites()), site])
  return site
}

/** As loadSites, for one site's miners. */
export async function loadMiners(siteId: string, show: (miners: Miner[]) => void): Promise<void> {
  show(sortByName(await listMiners(siteId)))
  try {
    const { miners } = await api<{ miners: Miner[] }>('GET', `/api/sites/${siteId}/miners`, token())
    await replaceSiteMiners(siteId, miners)
    show(miners)
  } catch (error) {
    unlessOffline(error)
  }
}

export async function createMiner(siteId: string, fields: { name: string; ip_address: string; port?: number; model?: string }): Promise<Miner> {
  const miner = await api<Miner>('POST', `/api/sites/${siteId}/miners`, token(), fields)
  await putMiner(miner)
  return miner
}

function sortByName<T extends { name: string }>(items: T[]): T[] {
  return items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}
