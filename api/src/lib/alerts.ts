/**
 * Alert rules, pure: from a miner's previous live state and a new sample, the
 * next state and which alert conditions hold. Each condition has a raise level
 * and a lower clear level (hysteresis), so a value hovering at the limit does not
 * raise and clear on every poll.
 */
export const ALERT_TYPES = ['offline', 'temperature', 'hashrate_drop', 'reject_rate'] as const
export type AlertType = (typeof ALERT_TYPES)[number]

export interface AlertThresholds {
  /** Raise above this chip temperature (°C); clear 3 °C below. */
  temp_limit_c: number
  /** Raise when the hashrate is this share below the miner's own average; clear at half of it. */
  hashrate_drop_share: number
  /** Raise when rejected / (accepted + rejected) since the last sample exceeds this; clear at half. */
  reject_rate_limit: number
}

export const DEFAULT_THRESHOLDS: AlertThresholds = { temp_limit_c: 85, hashrate_drop_share: 0.2, reject_rate_limit: 0.02 }

export interface LiveState {
  online: boolean
  hashrate_ths: number | null
  hashrate_ewma_ths: number | null
  temp_chip_max_c: number | null
  accepted_shares: number | null
  rejected_shares: number | null
}

export interface Sample {
  online: boolean
  hashrate_ths: number | null
  temp_chip_max_c: number | null
  accepted_shares: number | null
  rejected_shares: number | null
}

/** For each type: raise (true), clear (false), or leave as it is (undefined). */
export type Verdicts = Partial<Record<AlertType, { active: boolean; value: number | null; threshold: number }>>

// Weight of a new sample in the average: about the last 10 polls.
const EWMA_ALPHA = 0.1

/** Evaluates one sample against the previous state; `open` tells which alerts are raised now. */
export function evaluate(prev: LiveState | undefined, sample: Sample, limits: AlertThresholds, open: ReadonlySet<AlertType>): { next: LiveState; verdicts: Verdicts } {
  const verdicts: Verdicts = {}
  verdicts.offline = { active: !sample.online, value: null, threshold: 0 }

  const temp = sample.temp_chip_max_c
  if (temp !== null) {
    const limit = limits.temp_limit_c
    if (temp > limit) verdicts.temperature = { active: true, value: temp, threshold: limit }
    else if (!open.has('temperature') || temp <= limit - 3) verdicts.temperature = { active: false, value: temp, threshold: limit }
  }

  const average = prev?.hashrate_ewma_ths ?? null
  const rate = sample.hashrate_ths
  if (sample.online && rate !== null && average !== null && average > 0) {
    const raiseBelow = average * (1 - limits.hashrate_drop_share)
    const clearAt = average * (1 - limits.hashrate_drop_share / 2)
    if (rate < raiseBelow) verdicts.hashrate_drop = { active: true, value: rate, threshold: raiseBelow }
    else if (!open.has('hashrate_drop') || rate >= clearAt) verdicts.hashrate_drop = { active: false, value: rate, threshold: raiseBelow }
  }

  const dAccepted = delta(prev?.accepted_shares, sample.accepted_shares)
  const dRejected = delta(prev?.rejected_shares, sample.rejected_shares)
  if (dAccepted !== null && dRejected !== null && dAccepted + dRejected > 0) {
    const share = dRejected / (dAccepted + dRejected)
    const limit = limits.reject_rate_limit
    if (share > limit) verdicts.reject_rate = { active: true, value: share, threshold: limit }
    else if (!open.has('reject_rate') || share <= limit / 2) verdicts.reject_rate = { active: false, value: share, threshold: limit }
  }

  // The average follows the miner only while it hashes, so an outage does not drag it down.
  const ewma = sample.online && rate !== null ? (average === null ? rate : average + EWMA_ALPHA * (rate - average)) : average
  return {
    next: { ...sample, hashrate_ewma_ths: ewma },
    verdicts,
  }
}

// Share counters reset when the mining software restarts: a negative step is no step.
function delta(before: number | null | undefined, after: number | null): number | null {
  if (before === null || before === undefined || after === null || after < before) return null
  return after - before
}
