/**
 * A mail server on loopback that keeps what it receives, for tests of the
 * invitation emails (the `smtp-server` package: plain SMTP, no TLS, no sign-in).
 */
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  from: string
  to: string[]
  /** The message as sent, headers included. */
  raw: string
  /** The body, with its transfer encoding undone. */
  text: string
}

export interface SmtpSink {
  port: number
  url: string
  mails: ReceivedMail[]
  /** Resolves once `count` mails have arrived. */
  waitForMails(count: number, timeoutMs?: number): Promise<ReceivedMail[]>
  close(): Promise<void>
}

function bodyText(raw: string): string {
  const split = raw.search(/\r?\n\r?\n/)
  const head = raw.slice(0, split)
  const body = raw.slice(split).replace(/^\r?\n\r?\n/, '')
  if (/^content-transfer-encoding:\s*quoted-printable/im.test(head)) {
    return body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
  }
  if (/^content-transfer-encoding:\s*base64/im.test(head)) return Buffer.from(body, 'base64').toString('utf8')
  return body
}

/**
 * Starts the sink on 127.0.0.1.
 * @param port 0 for any free port
 * @param refuse recipients it answers with a permanent 550
 */
export async function startSmtpSink(port = 0, refuse: (address: string) => boolean = () => false): Promise<SmtpSink> {
  const mails: ReceivedMail[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, done) {
      if (refuse(address.address)) return done(Object.assign(new Error(`Mailbox <${address.address}> unknown`), { responseCode: 550 }))
      done()
    },
    onData(stream, session, done) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : ''
        mails.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw, text: bodyText(raw) })
        done()
      })
    },
  })
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(port, '127.0.0.1', () => done())
  })
  const bound = (server.server.address() as { port: number }).port
  return {
    port: bound,
    url: `smtp://127.0.0.1:${bound}`,
    mails,
    async waitForMails(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (mails.length < count) {
        if (Date.now() > deadline) throw new Error(`Got ${mails.length} of ${count} mails within ${timeoutMs} ms`)
        await new Promise((r) => setTimeout(r, 20))
      }
      return mails
    },
    close: () => new Promise<void>((done) => server.close(() => done())),
  }
}
