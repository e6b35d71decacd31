/**
 * Long-poll wake-ups for edge devices waiting for commands. A device's request
 * sleeps here until a command for its site is issued (on any API node: the issuing
 * transaction sends NOTIFY command_issued with the site id) or its time is up.
 */

/** Waiting devices per site. */
export interface CommandWaiters {
  /** Resolves when `wake(siteId)` is called or after `ms`, whichever is first. */
  wait(siteId: string, ms: number): Promise<void>
  wake(siteId: string): void
  /** Releases every waiter (the app is closing). */
  wakeAll(): void
}

/** A fresh set of waiters; one per API process. */
export function createCommandWaiters(): CommandWaiters {
  const bySite = new Map<string, Set<() => void>>()
  const release = (set: Set<() => void> | undefined) => {
    for (const done of set ?? []) done()
  }
  return {
    wait(siteId, ms) {
      return new Promise((resolve) => {
        let set = bySite.get(siteId)
        if (!set) bySite.set(siteId, (set = new Set()))
        const done = () => {
          clearTimeout(timer)
          set.delete(done)
          if (set.size === 0 && bySite.get(siteId) === set) bySite.delete(siteId)
          resolve()
        }
        const timer = setTimeout(done, ms)
        set.add(done)
      })
    },
    wake: (siteId) => release(bySite.get(siteId)),
    wakeAll: () => {
      for (const set of [...bySite.values()]) release(set)
    },
  }
}
