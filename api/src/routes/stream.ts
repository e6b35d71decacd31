/**
 * GET /api/stream: server-sent events for the caller's tenant and sites —
 * telemetry (per-miner figures and site totals), alerts, and miner changes (so
 * other devices sync at once); security alerts for owners and admins only. Browsers authenticate with a 60-second ticket
 * from POST /api/stream/ticket, so no long-lived token ever sits in a URL;
 * other clients may send their session token in the Authorization header.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import Type from 'typebox'
import { Unauthorized } from '../errors.ts'
import { parsePosition } from '../lib/feed_cursor.ts'
import type { Actor } from '../plugins/app/auth.ts'
import type { SessionClaims } from '../plugins/external/jwt.ts'
import type { StreamClient, StreamEvent } from '../plugins/app/stream_hub.ts'
import { commonErrors } from '../schemas/common.ts'

const HEARTBEAT_MS = 15_000
// A client this far behind is dropped; it reconnects and resumes from its last id.
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024

const TicketResponse = Type.Object({ ticket: Type.String(), expires_in: Type.Integer() })
const StreamQuery = Type.Object({ ticket: Type.Optional(Type.String({ maxLength: 2048 })) }, { additionalProperties: false })

const stream: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/ticket', { onRequest: app.authenticate, schema: { response: { 200: TicketResponse, ...commonErrors } } }, async (request) => ({
    ticket: app.jwt.sign({ sub: request.actor.userId, tid: request.actor.tenantId, purpose: 'stream' }, { expiresIn: 60 }),
    expires_in: 60,
  }))

  async function streamActor(request: FastifyRequest, ticket: string | undefined): Promise<Actor> {
    let claims: SessionClaims
    try {
      claims = ticket ? app.jwt.verify<SessionClaims>(ticket) : await request.jwtVerify<SessionClaims>()
    } catch {
      throw new Unauthorized('Missing, expired or invalid stream ticket')
    }
    // A ticket opens only the stream; a session token only via the header.
    if (ticket ? claims.purpose !== 'stream' : claims.purpose !== undefined) throw new Unauthorized('Missing, expired or invalid stream ticket')
    const actor = await app.resolveActor(claims.sub, claims.tid)
    if (!actor) throw new Unauthorized('This account is no longer a member of the tenant')
    return actor
  }

  app.get('/', { schema: { querystring: StreamQuery } }, async (request, reply) => {
    const actor = await streamActor(request, request.query.ticket)
    const since = parsePosition(request.headers['last-event-id'] as string | undefined)
    const res = reply.raw
    reply.hijack()
    res.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    res.write('retry: 2000\n\n')
    let open = true
    const client: StreamClient = {
      actor,
      send(e: StreamEvent) {
        if (!open) return
        if (res.writableLength > MAX_BUFFERED_BYTES) return client.close('too far behind')
        res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${e.json}\n\n`)
      },
      close(reason: string) {
        if (!open) return
        open = false
        res.end(`event: close\ndata: ${JSON.stringify({ reason })}\n\n`)
      },
    }
    const heartbeat = setInterval(() => open && res.write(': ping\n\n'), HEARTBEAT_MS)
    res.on('close', () => {
      open = false
      clearInterval(heartbeat)
      app.streamHub.detach(client)
    })
    await app.streamHub.attach(client, since)
  })
}

export default stream
