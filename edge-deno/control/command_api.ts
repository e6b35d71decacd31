/**
 * The device's side of the command routes: long-poll `GET /api/edge/commands` and
 * `POST /api/edge/commands/:id/result`. Errors follow ApiClient's kinds, so a
 * revoked device stops the whole collector the same way.
 */
import { ApiError } from '../api_client.ts'
import type { MinerOutcome } from './outcome.ts'
import type { DeliveredCommand, Refusal } from './verify_command.ts'

/** One miner's result as sent. */
export type MinerResult = MinerOutcome & { miner_id: string }

export interface CommandApiOptions {
  baseUrl: string
  token: string
  signal?: AbortSignal
  /** Per request, beyond the long-poll wait (default 15 000 ms). */
  timeoutMs?: number
}

/** The command routes of one enrolled device. */
export class CommandApi {
  readonly #options: CommandApiOptions

  constructor(options: CommandApiOptions) {
    this.#options = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, '') }
  }

  /** Pending commands of this device's site, waiting up to `waitMs` for one to arrive. */
  async next(waitMs: number): Promise<DeliveredCommand[]> {
    const body = await this.#call('GET', `/api/edge/commands?wait_ms=${waitMs}`, 'fetch commands', undefined, waitMs)
    return (body as { commands: DeliveredCommand[] }).commands
  }

  /** Sends per-miner results (in parts, as they come) or the refusal of the whole command. */
  async report(id: string, report: { results: MinerResult[] } | { refused: Refusal }): Promise<void> {
    await this.#call('POST', `/api/edge/commands/${encodeURIComponent(id)}/result`, 'report command results', report)
  }

  async #call(method: string, path: string, action: string, body?: unknown, waitMs = 0): Promise<unknown> {
    const { token, signal, timeoutMs = 15_000 } = this.#options
    const deadline = AbortSignal.timeout(timeoutMs + waitMs)
    let response: Response
    try {
      response = await fetch(this.#options.baseUrl + path, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      })
    } catch (error) {
      throw new ApiError('unreachable', `Cannot ${action}: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error })
    }
    const text = await response.text().catch(() => '')
    if (!response.ok) {
      let message = text
      try {
        message = JSON.parse(text).message ?? text
      } catch { /* not JSON: keep the text */ }
      const kind = response.status === 401 ? 'revoked' : response.status >= 500 || response.status === 429 ? 'server' : 'rejected'
      throw new ApiError(kind, `Cannot ${action}: the API answered ${response.status}: ${message.slice(0, 200)}`, response.status)
    }
    return text ? JSON.parse(text) : null
  }
}
