/** How the collector ships, so the benches run it the same way. */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))

/** The V8 flags of deno.json's compile task (a bounded heap and young generation), as one `--v8-flags=` argument. */
export const EDGE_V8_FLAGS: string[] = [/--v8-flags=\S+/.exec(JSON.parse(readFileSync(`${root}deno.json`, 'utf8')).tasks.compile)?.[0]].filter((f): f is string => f !== undefined)
