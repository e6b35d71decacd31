/**
 * Gets a migrated database for the server: DATABASE_URL as given, or the embedded
 * PostgreSQL kept in `<dataDir>/pg` with a `hashinsight` database.
 */
import knexFactory from 'knex'
import { join } from 'node:path'
import { migrateLatest } from '../../../migrations/index.ts'
import { startEmbeddedPostgres } from './embedded_postgres.ts'

export interface PreparedDatabase {
  url: string
  embedded: boolean
  stop(): Promise<void>
}

export async function prepareDatabase(options: { databaseUrl?: string; dataDir: string; log(line: string): void }): Promise<PreparedDatabase> {
  let url = options.databaseUrl
  let stop = async () => {}
  if (!url) {
    const pg = await startEmbeddedPostgres({ dataDir: join(options.dataDir, 'pg') })
    stop = pg.stop
    const admin = knexFactory({ client: 'pg', connection: pg.url, pool: { min: 0, max: 1 } })
    try {
      const exists = await admin.raw(`SELECT 1 FROM pg_database WHERE datname = 'hashinsight'`)
      if (exists.rows.length === 0) await admin.raw('CREATE DATABASE hashinsight')
    } finally {
      await admin.destroy()
    }
    const u = new URL(pg.url)
    u.pathname = '/hashinsight'
    url = u.toString()
    options.log(`embedded PostgreSQL running on 127.0.0.1:${u.port} (data in ${join(options.dataDir, 'pg')})`)
  }
  const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } })
  try {
    await migrateLatest(knex)
  } catch (err) {
    await stop()
    throw err
  } finally {
    await knex.destroy()
  }
  return { url, embedded: !options.databaseUrl, stop }
}
