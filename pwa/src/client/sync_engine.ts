/**
 * The sync engine: pulls on start, on window focus, when the network comes back
 * and when the event stream says a miner changed; pushes the outbox on start,
 * after each edit and when the network comes back, retrying after a failure with
 * a backoff (1 s doubling to 60 s, jittered). Pull and push each run one at a
 * time; asking again while one runs makes it run once more afterwards.
 */
import { ApiError, OfflineError } from './api.ts'
import { applyCommandProgress } from './commands.ts'
import { openLiveStream } from './dashboard/live_stream.ts'
import type { CommandProgress, SecurityAlert } from '../shared/api_types.ts'
import { noteSecurityAlert } from './security_alerts.ts'
import { pullChanges } from './sync_pull.ts'
import { pushOutbox } from './sync_push.ts'
import { announceMinerChanges, lastPull, serverReachable, syncActivity, syncError } from './sync_state.ts'

const MAX_BACKOFF_MS = 60_000
// A burst of miner.changed events (another device's push) becomes one pull.
const PULL_DEBOUNCE_MS = 150

/** One job (pull or push) that runs alone and can be asked for again while running. */
function singleFlight(job: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null
  let again = false
  const start = (): Promise<void> => {
    if (running) {
      again = true
      return running
    }
    running = (async () => {
      try {
        do {
          again = false
          await job()
        } while (again)
      } finally {
        running = null
      }
    })()
    return running
  }
  return start
}

/** A failure worth retrying later: no network, server down or busy, or signed out for now. */
const retryable = (error: unknown) =>
  error instanceof OfflineError || (error instanceof ApiError && (error.status === 401 || error.status === 429 || error.status >= 500))

interface Engine {
  pull: () => Promise<void>
  push: () => Promise<void>
  /** A retry is scheduled: the server was unreachable a moment ago. */
  backingOff: () => boolean
}

let engine: Engine | null = null

/**
 * Starts syncing for the signed-in account; returns the function that stops it.
 * @example useEffect(() => startSync(token, tenantId), [token, tenantId])
 */
export function startSync(token: string, tenantId: string): () => void {
  let stopped = false
  let attempt = 0
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  let pullTimer: ReturnType<typeof setTimeout> | undefined

  const failed = (error: unknown) => {
    if (!retryable(error)) {
      // Not a passing failure (refused, or a bug): say so; the next trigger tries again.
      syncError.value = `Cannot sync: ${(error as Error).message}`
      return
    }
    serverReachable.value = !(error instanceof OfflineError || (error instanceof ApiError && error.status >= 500))
    if (stopped || retryTimer !== undefined) return
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2)
    attempt++
    retryTimer = setTimeout(() => {
      retryTimer = undefined
      void push()
      void pull()
    }, delay)
  }
  const succeeded = () => {
    serverReachable.value = true
    syncError.value = null
    attempt = 0
  }

  const pull = singleFlight(async () => {
    if (stopped) return
    const startedAt = performance.now()
    let miners = 0
    syncActivity.value = 'pulling'
    try {
      await pullChanges(token, tenantId, (ids) => {
        miners += ids.length
        announceMinerChanges(ids)
      })
      // A catch-up pull that found nothing must not hide the one that did the work.
      if (miners > 0) lastPull.value = { startedAt, finishedAt: performance.now(), miners }
      succeeded()
    } catch (error) {
      failed(error)
    } finally {
      syncActivity.value = 'idle'
    }
  })

  const push = singleFlight(async () => {
    if (stopped) return
    syncActivity.value = 'pushing'
    try {
      await pushOutbox(token, announceMinerChanges)
      succeeded()
    } catch (error) {
      failed(error)
    } finally {
      syncActivity.value = 'idle'
    }
  })

  const now = () => {
    clearTimeout(retryTimer)
    retryTimer = undefined
    attempt = 0
    void push()
    void pull()
  }
  const onFocus = () => void pull().then(push)
  addEventListener('online', now)
  addEventListener('focus', onFocus)
  const closeStream = openLiveStream(() => token, {
    onEvent(type, data) {
      if (type === 'command.progress') return applyCommandProgress(data as CommandProgress)
      if (type === 'security.alert') return noteSecurityAlert(data as SecurityAlert)
      if (type !== 'miner.changed') return
      clearTimeout(pullTimer)
      pullTimer = setTimeout(() => void pull(), PULL_DEBOUNCE_MS)
    },
    // Events before the stream (re)opened were missed: catch up.
    onOpen: () => void pull(),
    onStatus: () => {},
  })
  engine = { pull, push, backingOff: () => retryTimer !== undefined }
  now()

  return () => {
    stopped = true
    clearTimeout(retryTimer)
    clearTimeout(pullTimer)
    removeEventListener('online', now)
    removeEventListener('focus', onFocus)
    closeStream()
    engine = null
  }
}

/** Sends queued edits now (after an edit); offline or backing off, the retry or the `online` event sends them. */
export function requestPush(): void {
  if (!engine || !navigator.onLine || engine.backingOff()) return
  void engine.push()
}

/** Pulls now and resolves when this device holds the server's latest (or the pull failed). */
export async function pullNow(): Promise<void> {
  await engine?.pull()
}

