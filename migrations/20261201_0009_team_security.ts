import type { Knex } from 'knex'

/**
 * Team security (issue 8): invitations (only the token's hash is kept), four-eyes
 * change requests, edge device public keys and data-key grants (ciphertext only),
 * pool API keys as encrypted blocks with their old versions, and the bookkeeping
 * of a data-key rotation so an interrupted one can resume.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('invitations', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE')
    t.text('email').notNullable()
    t.text('role').notNullable()
    t.specificType('allowed_site_ids', 'uuid[]')
    // SHA-256 of the one-time token: the token itself is shown once and never stored.
    t.text('token_hash').notNullable().unique()
    t.timestamp('expires_at', { useTz: true }).notNullable()
    t.uuid('created_by').notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('accepted_at', { useTz: true })
    t.uuid('accepted_by')
    t.index(['tenant_id'])
  })
  await knex.raw(`ALTER TABLE invitations ADD CONSTRAINT invitations_role_check CHECK (role IN ('owner','admin','operator','viewer'))`)

  await knex.schema.createTable('change_requests', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE')
    t.text('request_type').notNullable()
    t.text('target_type').notNullable()
    t.uuid('target_id').notNullable()
    t.text('reason').notNullable()
    // What to do, in clear and secret-free (a role, site ids); never an address.
    t.jsonb('requested_action').notNullable().defaultTo('{}')
    t.text('status').notNullable().defaultTo('PENDING')
    t.uuid('requested_by').notNullable()
    t.uuid('decided_by')
    t.timestamp('decided_at', { useTz: true })
    t.uuid('executed_by')
    t.timestamp('executed_at', { useTz: true })
    t.timestamp('expires_at', { useTz: true }).notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['tenant_id', 'status'])
  })
  await knex.raw(`ALTER TABLE change_requests ADD CONSTRAINT change_requests_type_check
    CHECK (request_type IN ('DISABLE_FULL_E2EE','DEVICE_REVOKE','ROLE_CHANGE','BATCH_REENCRYPT'))`)
  await knex.raw(`ALTER TABLE change_requests ADD CONSTRAINT change_requests_status_check
    CHECK (status IN ('PENDING','APPROVED','REJECTED','EXECUTED','EXPIRED'))`)
  // Four eyes, also against a bug in the routes.
  await knex.raw(`ALTER TABLE change_requests ADD CONSTRAINT change_requests_four_eyes
    CHECK (decided_by IS NULL OR decided_by <> requested_by)`)

  await knex.schema.alterTable('edge_devices', (t) => {
    // The device's ECDH P-256 public key (JWK) and its fingerprint; the private key never leaves the device.
    t.jsonb('public_key')
    t.text('fingerprint')
    // The data key wrapped for that public key by the owner's device: ciphertext only.
    t.jsonb('key_grant')
    t.timestamp('granted_at', { useTz: true })
  })

  await knex.schema.createTable('secret_blocks', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE')
    t.text('kind').notNullable()
    t.text('label').notNullable()
    t.text('pool').notNullable()
    t.specificType('scopes', 'text[]').notNullable().defaultTo('{}')
    // Computed by the client from the key it encrypted; the server cannot check it.
    t.text('fingerprint').notNullable()
    t.jsonb('block').notNullable()
    t.integer('version').notNullable().defaultTo(1)
    t.uuid('created_by').notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['tenant_id', 'kind'])
  })
  await knex.raw(`ALTER TABLE secret_blocks ADD CONSTRAINT secret_blocks_kind_check CHECK (kind IN ('pool_api_key'))`)
  // Rotation keeps every earlier version, still encrypted.
  await knex.schema.createTable('secret_block_versions', (t) => {
    t.uuid('block_id').notNullable().references('secret_blocks.id').onDelete('CASCADE')
    t.integer('version').notNullable()
    t.uuid('tenant_id').notNullable()
    t.text('fingerprint').notNullable()
    t.jsonb('block').notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.timestamp('replaced_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.primary(['block_id', 'version'])
  })

  await knex.schema.createTable('key_rotations', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE')
    t.uuid('change_request_id').notNullable()
    t.text('old_kid')
    t.text('new_kid')
    t.text('status').notNullable().defaultTo('AUTHORISED')
    t.integer('blocks_done').notNullable().defaultTo(0)
    t.integer('blocks_total')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('completed_at', { useTz: true })
  })
  await knex.raw(`ALTER TABLE key_rotations ADD CONSTRAINT key_rotations_status_check CHECK (status IN ('AUTHORISED','IN_PROGRESS','COMPLETED'))`)
  // One rotation at a time per tenant.
  await knex.raw(`CREATE UNIQUE INDEX key_rotations_open ON key_rotations (tenant_id) WHERE status <> 'COMPLETED'`)
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['key_rotations', 'secret_block_versions', 'secret_blocks', 'change_requests', 'invitations']) {
    await knex.schema.dropTableIfExists(table)
  }
  await knex.schema.alterTable('edge_devices', (t) => {
    t.dropColumn('public_key')
    t.dropColumn('fingerprint')
    t.dropColumn('key_grant')
    t.dropColumn('granted_at')
  })
}
