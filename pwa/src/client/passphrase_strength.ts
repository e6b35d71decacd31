/**
 * A rough passphrase strength estimate for the meter: bits from length and the
 * character classes used, minus obvious patterns. Guidance, not a guarantee.
 */
export interface Strength {
  score: 0 | 1 | 2 | 3 | 4
  label: string
  bits: number
}

const LABELS = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'] as const

export function passphraseStrength(passphrase: string): Strength {
  const chars = [...passphrase]
  let pool = 0
  if (/[a-z]/.test(passphrase)) pool += 26
  if (/[A-Z]/.test(passphrase)) pool += 26
  if (/[0-9]/.test(passphrase)) pool += 10
  if (/[^A-Za-z0-9]/.test(passphrase)) pool += 33
  const unique = new Set(chars).size
  // Repeats and short alphabets add little: count unique characters more than length.
  const effective = Math.min(chars.length, unique * 2)
  let bits = effective * Math.log2(Math.max(pool, 1))
  if (/^(?:password|passphrase|123456|qwerty)/i.test(passphrase)) bits /= 4
  const score = bits < 28 ? 0 : bits < 45 ? 1 : bits < 60 ? 2 : bits < 80 ? 3 : 4
  return { score, label: LABELS[score], bits: Math.round(bits) }
}
