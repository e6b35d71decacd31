/**
 * Screens most visits never open (devices, audit, pool keys, members) come as their own
 * chunk, fetched the first time one is shown, so the first page stays small.
 */
import type { ComponentType } from 'preact'
import { useEffect, useState } from 'preact/hooks'

type TeamModule = typeof import('./team/screens.ts')
let teamModule: Promise<TeamModule> | undefined

function lazy<P extends object>(label: string, pick: (m: TeamModule) => ComponentType<P>): ComponentType<P> {
  return function LazyScreen(props: P) {
    const [Screen, setScreen] = useState<ComponentType<P> | null>(null)
    const [error, setError] = useState<string | null>(null)
    useEffect(() => {
      teamModule ??= import(/* webpackChunkName: "team" */ './team/screens.ts')
      teamModule.then((m) => setScreen(() => pick(m))).catch((e: Error) => {
        teamModule = undefined
        setError(`Cannot load ${label}: ${e.message}`)
      })
    }, [])
    if (error) return <p class="error" role="alert">{error}</p>
    return Screen ? <Screen {...props} /> : <p class="boot">Loading {label}…</p>
  }
}

/** The site's edge devices (owner/admin). */
export const LazyDevices = lazy<{ siteId: string }>('the devices', (m) => m.DevicesScreen)
/** The audit log and its chain check (owner/admin). */
export const LazyAudit = lazy<Record<string, never>>('the audit log', (m) => m.AuditScreen)
/** The tenant's pool API keys. */
export const LazyPoolKeys = lazy<Record<string, never>>('the pool keys', (m) => m.PoolKeysScreen)
/** The tenant's members and invitations (owner/admin). */
export const LazyMembers = lazy<Record<string, never>>('the members', (m) => m.MembersScreen)
