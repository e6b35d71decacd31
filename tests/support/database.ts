/** Per-test-file databases cloned from the migrated template (see global_setup.ts). */
import knexFactory from 'knex'
import { randomBytes } from 'node:crypto'

export const TEMPLATE_DB = 'hashinsight_test_template'

/** The same server URL pointing at another database. */
export function databaseUrl(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

/**
 * Creates a fresh, migrated database for one test file and returns its URL and a
 * function that drops it.
 */
export async function createTestDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `hashinsight_test_${randomBytes(6).toString('hex')}`
  const admin = knexFactory({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } })
  try {
    await admin.raw(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`)
  } finally {
    await admin.destroy()
  }
  return {
    url: databaseUrl(adminUrl, name),
    async drop() {
      const admin = knexFactory({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } })
      try {
        await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await admin.destroy()
      }
    },
  }
}
