// Deno runner for the runtime-neutral cases (the Node runner is e2ee.test.ts).
import { cases } from './testing/cases.ts'

for (const c of cases) Deno.test(c.name, c.fn)
