/** Every e2ee test case, registered by both runners (vitest and Deno). */
import type { TestCase } from './case.ts'
import { commandCases } from './cases_command.ts'
import { deviceGrantCases } from './cases_device_grant.ts'
import { keyringCases } from './cases_keyring.ts'
import { schemaCases } from './cases_schema.ts'
import { supportCases } from './cases_support.ts'
import { v1Cases } from './cases_v1.ts'
import { v2Cases } from './cases_v2.ts'

export type { TestCase } from './case.ts'

/** All cases, fast ones first so a broken build fails before the PBKDF2-heavy ones run. */
export const cases: TestCase[] = [...supportCases, ...schemaCases, ...v2Cases, ...deviceGrantCases, ...commandCases, ...v1Cases, ...keyringCases]
