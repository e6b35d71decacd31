/** Session tokens: HS256 JWTs carrying the user and the tenant they act in. */
import jwt from '@fastify/jwt'
import fp from 'fastify-plugin'

export interface SessionClaims {
  /** user id */
  sub: string
  /** tenant id */
  tid: string
  /** Set on single-purpose tokens (a stream ticket), which session routes refuse. */
  purpose?: 'stream'
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: SessionClaims
    user: SessionClaims
  }
}

export default fp(
  async (app) => {
    await app.register(jwt, {
      secret: app.config.jwtSecret,
      sign: { expiresIn: app.config.tokenTtl, algorithm: 'HS256' },
      // Session routes keep verified tokens themselves (lib/verified_tokens.ts).
      verify: { algorithms: ['HS256'] },
    })
  },
  { name: 'jwt', dependencies: ['config'] },
)
