/**
 * Deterministic variation for simulated miners: the same seed, miner and moment
 * always give the same numbers, and the numbers drift as time passes.
 */

/** mulberry32: small, fast, good enough to make fleets look different. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

function mix(...parts: number[]): number {
  let h = 2_166_136_261
  for (const p of parts) h = Math.imul(h ^ (p >>> 0), 16_777_619)
  return h >>> 0
}

/** What one miner looks like at one moment. */
export interface Variation {
  /** Multiplies the fixture's hashrate (0.9 to 1.05, plus a little noise per moment). */
  hashFactor: number
  /** Degrees added to every temperature. */
  tempOffset: number
  /** rpm added to every fan. */
  fanOffset: number
  /** Seconds since the simulation started, added to uptimes and share counters. */
  seconds: number
  /** The miner's clock, seconds since the epoch. */
  now: number
  /** A stream of further numbers for this miner and moment. */
  random: () => number
}

/** The variation of miner `index` at `epoch` (a refresh period number). */
export function variation(seed: number, index: number, epoch: number, seconds: number): Variation {
  const fixed = prng(mix(seed, index))
  const moment = prng(mix(seed, index, epoch + 1))
  return {
    hashFactor: 0.9 + fixed() * 0.15 + (moment() - 0.5) * 0.02,
    tempOffset: Math.round(fixed() * 10 - 5 + (moment() - 0.5) * 2),
    fanOffset: Math.round(fixed() * 600 - 300 + (moment() - 0.5) * 60),
    seconds: Math.round(seconds + fixed() * 86_400),
    now: Math.floor(Date.now() / 1000),
    random: moment,
  }
}

/** Rounds to two decimals, as cgminer prints rates. */
export function round2(n: number): number {
  return Math.round(n * 100) / 100
}
