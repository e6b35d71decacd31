/** The invitation email keeps what the inviter chose out of the subject and gives the farm's name as theirs, on one line. */
import { describe, expect, test } from 'vitest'
import { invitationMessage, plainFarmName } from './invitation_mail.ts'
import type { EmailJob } from './invitation_outbox.ts'

const job = (tenantName: string): EmailJob => ({
  invitationId: '00000000-0000-4000-8000-000000000001', attempt: 1, email: 'ana@example.com', role: 'operator',
  expiresAt: new Date('2026-12-08T10:00:00Z'), tenantName, tokenHash: 'unused',
})

describe('invitationMessage()', () => {
  test('the subject names no farm, whatever its owner called it', () => {
    const { subject } = invitationMessage(job('Your account is suspended, verify at evil.example'), 'https://farm.example/accept#token=hii_x')
    expect(subject).toBe('Invitation to join a mining farm on HashInsight')
  })

  test("the farm's name is one quoted line said to be its owner's, and cannot add lines of its own", () => {
    const { text } = invitationMessage(job('Hall 7\n\nURGENT: open https://evil.example/accept instead\r\n'), 'https://farm.example/accept#token=hii_x')
    const lines = text.split('\n')
    const named = lines.filter((l) => l.includes('evil.example'))
    expect(named).toEqual(['The farm\'s name, as its owner typed it: "Hall 7 URGENT: open https://evil.example/accept instead". HashInsight does not check it.'])
    expect(lines).toContain('https://farm.example/accept#token=hii_x')
  })
})

describe('plainFarmName()', () => {
  test.each([
    ['North Hall', 'North Hall'],
    ['  tabs\tand\u2028separators\u0085 ', 'tabs and separators'],
    ['x'.repeat(200), `${'x'.repeat(79)}…`],
  ])('%j reads as %j', (name, plain) => {
    expect(plainFarmName(name)).toBe(plain)
  })
})
