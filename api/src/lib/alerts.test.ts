import { describe, expect, test } from 'vitest'
import { DEFAULT_THRESHOLDS, evaluate, type AlertType, type LiveState, type Sample } from './alerts.ts'

const base: Sample = { online: true, hashrate_ths: 100, temp_chip_max_c: 70, accepted_shares: 1000, rejected_shares: 10 }
const none = new Set<AlertType>()

function run(samples: Partial<Sample>[], open = new Set<AlertType>()) {
  let state: LiveState | undefined
  const out = []
  for (const s of samples) {
    const { next, verdicts } = evaluate(state, { ...base, ...s }, DEFAULT_THRESHOLDS, open)
    for (const [type, v] of Object.entries(verdicts)) (v.active ? open.add(type as AlertType) : open.delete(type as AlertType))
    state = next
    out.push(new Set(open))
  }
  return out
}

describe('evaluate()', () => {
  test('a miner that stops answering raises offline, and answering again clears it', () => {
    const states = run([{}, { online: false, hashrate_ths: null }, {}])
    expect(states.map((s) => s.has('offline'))).toEqual([false, true, false])
  })

  test('temperature raises above the limit and clears only 3 °C below it', () => {
    const states = run([{ temp_chip_max_c: 86 }, { temp_chip_max_c: 84 }, { temp_chip_max_c: 81.5 }])
    expect(states.map((s) => s.has('temperature'))).toEqual([true, true, false])
  })

  test("hashrate 20% below the miner's own average raises, recovering to 90% clears", () => {
    const states = run([{}, {}, {}, { hashrate_ths: 75 }, { hashrate_ths: 85 }, { hashrate_ths: 95 }])
    expect(states.map((s) => s.has('hashrate_drop'))).toEqual([false, false, false, true, true, false])
  })

  test('the reject rate is measured between samples and ignores counter resets', () => {
    const states = run([
      { accepted_shares: 1000, rejected_shares: 10 },
      { accepted_shares: 1090, rejected_shares: 20 }, // 10 of 100 rejected
      { accepted_shares: 50, rejected_shares: 0 }, // restarted: no verdict
      { accepted_shares: 250, rejected_shares: 1 },
    ])
    expect(states.map((s) => s.has('reject_rate'))).toEqual([false, true, true, false])
  })

  test('an outage does not drag the average down', () => {
    const first = evaluate(undefined, base, DEFAULT_THRESHOLDS, none).next
    const down = evaluate(first, { ...base, online: false, hashrate_ths: null }, DEFAULT_THRESHOLDS, none).next
    expect(down.hashrate_ewma_ths).toBe(100)
  })
})
