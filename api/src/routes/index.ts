/** Every route, by resource. */
import type { FastifyPluginAsync } from 'fastify'
import audit from './audit.ts'
import auth from './auth.ts'
import commands from './commands.ts'
import changes from './changes.ts'
import devices from './devices.ts'
import edge from './edge.ts'
import health from './health.ts'
import keyRotation from './key_rotation.ts'
import keyring from './keyring.ts'
import live from './live.ts'
import members from './members.ts'
import minerSecrets from './miner_secrets.ts'
import miners from './miners.ts'
import poolKeys from './pool_keys.ts'
import security from './security.ts'
import sites from './sites.ts'
import stream from './stream.ts'
import sync from './sync.ts'

const routes: FastifyPluginAsync = async (app) => {
  await app.register(health)
  await app.register(auth, { prefix: '/api/auth' })
  await app.register(sites, { prefix: '/api/sites' })
  await app.register(miners, { prefix: '/api/miners' })
  await app.register(minerSecrets, { prefix: '/api/miners' })
  await app.register(keyring, { prefix: '/api/keyring' })
  await app.register(keyRotation, { prefix: '/api/keyring/rotation' })
  await app.register(audit, { prefix: '/api/audit' })
  await app.register(members, { prefix: '/api/members' })
  await app.register(changes, { prefix: '/api/changes' })
  await app.register(poolKeys, { prefix: '/api/pool-keys' })
  await app.register(security, { prefix: '/api/security' })
  await app.register(devices, { prefix: '/api' })
  await app.register(sync, { prefix: '/api/sync' })
  await app.register(stream, { prefix: '/api/stream' })
  await app.register(live, { prefix: '/api' })
  await app.register(edge, { prefix: '/api/edge' })
  await app.register(commands, { prefix: '/api' })
}

export default routes
