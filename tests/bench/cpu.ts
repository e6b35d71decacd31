/**
 * CPU time of the processes a bench runs, from /proc (Linux). On a machine whose cores
 * the API, PostgreSQL, the simulator and the edge share, it tells what each spent
 * beside the wall time, which moves with whatever else runs.
 */
import { readdirSync, readFileSync } from 'node:fs'

// utime and stime are in clock ticks of 10 ms (USER_HZ 100).
const TICK_MS = 10

/** The fields of /proc/<pid>/stat after the command name, or null once it has gone. */
function stat(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  } catch {
    return null
  }
}

/** User + system CPU time of one process so far, ms (0 once it has gone). */
export function cpuMs(pid: number): number {
  const fields = stat(pid)
  return fields ? (Number(fields[11]) + Number(fields[12])) * TICK_MS : 0
}

/** CPU time of `pid` and its live descendants (PostgreSQL's postmaster and backends), ms. */
export function treeCpuMs(pid: number): number {
  const children = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const parent = Number(stat(Number(name))?.[1])
    if (parent) children.set(parent, [...(children.get(parent) ?? []), Number(name)])
  }
  let total = 0
  for (const stack = [pid]; stack.length > 0;) {
    const next = stack.pop()!
    total += cpuMs(next)
    stack.push(...(children.get(next) ?? []))
  }
  return total
}
