// Node runner for the runtime-neutral cases (the Deno runner is e2ee_test.ts).
import { test } from 'vitest'
import { cases } from './testing/cases.ts'

for (const c of cases) test(c.name, c.fn, c.timeout)
