/**
 * One PostgreSQL for the whole test run: the embedded server in a throw-away
 * directory, or DATABASE_URL when set. A template database with every migration
 * applied lets each test file clone a fresh database in milliseconds.
 */
import knexFactory from 'knex'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type {} from 'vitest'
import type { TestProject } from 'vitest/node'
import { startEmbeddedPostgres, type RunningPostgres } from '../../api/src/db/embedded_postgres.ts'
import { migrateLatest } from '../../migrations/index.ts'
import { TEMPLATE_DB, databaseUrl } from './database.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string
  }
}

let embedded: RunningPostgres | undefined
let dir: string | undefined

// embedded-postgres's exit hook (async-exit-hook) ends the process with
// process.exit(0) on 'beforeExit', which turned vitest's failing exit code into
// success: a failed run must not exit 0, so an exit without a code keeps vitest's.
const exit = process.exit.bind(process)
process.exit = ((code?: number | string | null) => exit(code || process.exitCode)) as typeof process.exit

export async function setup(project: TestProject): Promise<void> {
  let adminUrl = process.env.DATABASE_URL
  if (!adminUrl) {
    dir = await mkdtemp(join(tmpdir(), 'hashinsight-test-'))
    embedded = await startEmbeddedPostgres({ dataDir: join(dir, 'pg') })
    adminUrl = embedded.url
  }
  const admin = knexFactory({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } })
  try {
    await admin.raw(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`)
    await admin.raw(`CREATE DATABASE ${TEMPLATE_DB}`)
  } finally {
    await admin.destroy()
  }
  const template = knexFactory({ client: 'pg', connection: databaseUrl(adminUrl, TEMPLATE_DB), pool: { min: 0, max: 1 } })
  try {
    await migrateLatest(template)
  } finally {
    await template.destroy()
  }
  project.provide('pgAdminUrl', adminUrl)
}

export async function teardown(): Promise<void> {
  await embedded?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
}
