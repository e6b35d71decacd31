/**
 * Serves the built PWA (pwa/dist) at `/` when it exists: hashed assets cached for
 * a year, the service worker and the page never cached (so updates are seen),
 * and unknown non-API paths answered with the app shell for client-side routes.
 */
import fastifyStatic from '@fastify/static'
import fp from 'fastify-plugin'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'

export const PWA_DIST = resolve(import.meta.dirname, '../../../../pwa/dist')

export default fp(
  async (app) => {
    if (!existsSync(resolve(PWA_DIST, 'index.html'))) {
      app.log.info('pwa/dist not built: serving the API only')
      return
    }
    await app.register(fastifyStatic, {
      root: PWA_DIST,
      prefix: '/',
      wildcard: true,
      index: ['index.html'],
      setHeaders(res, path) {
        const file = path.split('/').pop() ?? ''
        if (file === 'sw.js' || file.endsWith('.html') || file.endsWith('.webmanifest')) res.header('cache-control', 'no-cache')
        else if (/\.[0-9a-f]{8,}\./.test(file)) res.header('cache-control', 'public, max-age=31536000, immutable')
      },
    })
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0] ?? '/'
      if (request.method === 'GET' && !path.startsWith('/api/') && !path.includes('.') && request.headers.accept?.includes('text/html')) {
        return reply.header('cache-control', 'no-cache').sendFile('index.html')
      }
      return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `Route ${request.method} ${path} not found` })
    })
  },
  { name: 'pwa-static' },
)
