/**
 * Polls `probe` until it gives a truthy value, or fails after `ms` naming what it
 * waited for (and `detail()`, e.g. a process log, when given).
 * @example const row = await waitFor('the miner in Plan A', () => miner(), 20_000)
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = 20_000, detail?: () => string): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${detail ? `; ${detail()}` : ''}`)
    await new Promise((r) => setTimeout(r, 150))
  }
}
