/**
 * The invitation email: its link, its text, and what a failed send means (a reason
 * in words, and whether trying again can help). Nothing here sends or logs.
 */
import type { EmailJob } from './invitation_outbox.ts'

/**
 * The link the PWA's accept page opens (pwa/src/client/team/members.ts makes the same
 * one). The token sits in the fragment: browsers never send it to a server, so no
 * access log or proxy records it when the invitee clicks.
 * @example invitationLink('https://farm.example/', 'hii_abc') // 'https://farm.example/accept#token=hii_abc'
 */
export function invitationLink(origin: string, token: string): string {
  return `${origin.replace(/\/+$/, '')}/accept#token=${encodeURIComponent(token)}`
}

/**
 * A tenant's name as one plain line: anyone who registers picks it, so it may hold line
 * breaks, a fake instruction or a link-like text meant to pass for ours.
 */
export function plainFarmName(name: string): string {
  const line = name.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim()
  return line.length > 80 ? `${line.slice(0, 79)}…` : line
}

/**
 * Subject and plain text of an invitation email. The subject holds nothing the inviter
 * chose; the text gives the farm's name as a name its owner picked, not as our words.
 */
export function invitationMessage(job: EmailJob, link: string): { subject: string; text: string } {
  const until = job.expiresAt.toUTCString()
  return {
    subject: 'Invitation to join a mining farm on HashInsight',
    text: [
      `You have been invited to join a mining farm on HashInsight as ${/^[aeiou]/.test(job.role) ? 'an' : 'a'} ${job.role}.`,
      `The farm's name, as its owner typed it: "${plainFarmName(job.tenantName)}". HashInsight does not check it.`,
      '',
      'Open this link to accept (it works once):',
      link,
      '',
      `It expires on ${until}.`,
      'If you did not expect this invitation, ignore this email: nothing happens without the link.',
    ].join('\n'),
  }
}

type MailError = Error & { code?: string; responseCode?: number; permanent?: boolean; response?: string }

// An email address or an invitation token echoed by a mail server stays out of our reasons and logs.
const scrub = (text: string) => text.replace(/hii_[A-Za-z0-9_%-]+/g, '[token]').replace(/[^\s<>@"]+@[^\s<>@"]+/g, '[address]').slice(0, 300)

/**
 * A failed send in words, and whether trying again can help: the mail server's
 * permanent refusals (5xx) cannot; an unreachable server, a timeout or a 4xx can.
 */
export function describeMailFailure(err: unknown): { reason: string; permanent: boolean } {
  const e = err as MailError
  if (e.responseCode) {
    return { reason: `The mail server refused the email: ${scrub(e.response ?? e.message)}`, permanent: e.permanent ?? e.responseCode >= 500 }
  }
  switch (e.code) {
    case 'ECONNREFUSED':
    case 'ECONNECTION':
    case 'ESOCKET':
      return { reason: 'Cannot reach the mail server (SMTP_URL); will retry', permanent: false }
    case 'ETIMEDOUT':
      return { reason: 'The mail server did not answer in time; will retry', permanent: false }
    case 'EDNS':
      return { reason: 'Cannot find the mail server (SMTP_URL host); will retry', permanent: false }
    case 'EAUTH':
    case 'ENOAUTH':
      return { reason: 'The mail server refused our sign-in (user and password in SMTP_URL); will retry', permanent: false }
    case 'ETLS':
      return { reason: 'Cannot set up TLS with the mail server; will retry', permanent: false }
    default:
      return { reason: `Cannot send the email: ${scrub(e.message ?? String(err))}; will retry`, permanent: false }
  }
}
