/** The team-security screens, one lazily loaded chunk (see LazyScreens.tsx), with their few styles. */
import { addStyleOnce } from '../dashboard/style_once.ts'

// Fingerprints are compared group by group, so they are set large and monospaced.
addStyleOnce(`
.fingerprint { font-family: ui-monospace, monospace; letter-spacing: .05em; }
.fingerprint.big { font-size: 1.5rem; text-align: center; margin: .5rem 0; }
pre.command { white-space: pre-wrap; word-break: break-all; background: #020617; padding: .6rem; border-radius: 8px; margin: .4rem 0; }
`)

export { DevicesScreen } from './DevicesScreen.tsx'
export { AuditScreen } from './AuditScreen.tsx'
export { PoolKeysScreen } from './PoolKeysScreen.tsx'
export { MembersScreen } from './MembersScreen.tsx'
