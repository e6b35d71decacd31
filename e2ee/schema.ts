/**
 * The wire format of encrypted blocks and keyrings, as JSON schemas with their
 * TypeScript types derived from them. The API validates with these schemas and the
 * crypto code checks blocks against them, so there is one definition of "a valid block".
 *
 * This module holds no cryptography: the API imports it and must never decrypt.
 */
import Type, { type Static } from 'typebox'

/** Largest ciphertext we accept, as base64 characters (48 KiB of data). */
export const MAX_CIPHERTEXT_BASE64 = 65_536

// Standard base64 with padding, as btoa() makes it.
const BASE64 = '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$'

/** Base64 of exactly 12 bytes (16 characters, no padding). */
export const Iv = Type.String({ pattern: '^[A-Za-z0-9+/]{16}$', description: 'AES-GCM iv, 12 bytes in base64' })
/** Base64 of exactly 16 bytes. */
export const Salt = Type.String({ pattern: '^[A-Za-z0-9+/]{21}[AQgw]==$', description: 'PBKDF2 salt, 16 bytes in base64' })
/** Base64 of at least 16 bytes (the GCM tag alone) and at most the size bound. */
export const Ciphertext = Type.String({
  pattern: BASE64,
  minLength: 24,
  maxLength: MAX_CIPHERTEXT_BASE64,
  description: 'AES-GCM ciphertext with its 16-byte tag appended, base64',
})
/** A keyring id: 16 random bytes in base64url without padding. */
export const Kid = Type.String({ pattern: '^[A-Za-z0-9_-]{22}$', description: 'keyring id, 16 bytes base64url' })
/** Save counter of a v2 block: starts at 1, rises by one on each save. */
export const Counter = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })

export const AlgoName = Type.Literal('AES-256-GCM')

/** Version 1, the seed's format: PBKDF2 100 000 over a per-block salt, no AAD. */
export const BlockV1 = Type.Object(
  {
    ciphertext: Ciphertext,
    iv: Iv,
    salt: Salt,
    algo: AlgoName,
    version: Type.Literal(1),
  },
  { additionalProperties: false },
)

/** Version 2: under the tenant's data key, with AAD binding its context. */
export const BlockV2 = Type.Object(
  {
    ciphertext: Ciphertext,
    iv: Iv,
    algo: AlgoName,
    version: Type.Literal(2),
    kid: Kid,
    counter: Counter,
  },
  { additionalProperties: false },
)

export const Block = Type.Union([BlockV1, BlockV2])

/** The KDF that turns the passphrase into the key-encryption key. */
export const KeyringKdf = Type.Object(
  {
    name: Type.Literal('PBKDF2'),
    hash: Type.Literal('SHA-256'),
    iterations: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
    salt: Salt,
  },
  { additionalProperties: false },
)

/** A tenant keyring as the API stores it: the data key wrapped under the KEK. */
export const WrappedKeyring = Type.Object(
  {
    kid: Kid,
    kdf: KeyringKdf,
    wrapped_key: Type.Object(
      { ciphertext: Ciphertext, iv: Iv },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
)

/** Block kinds: what a block holds, bound into a v2 block's AAD. */
export const BlockKind = Type.Union([
  Type.Literal('credentials'),
  Type.Literal('connection_full'),
  Type.Literal('pool_api_key'),
  // A sealed remote-control command (e2ee/command.ts); its subject is `<site_id>/<command_id>`.
  Type.Literal('command'),
])

/** Actions a sealed command may carry (e2ee/command.ts); the API routes by these names. */
export const COMMAND_ACTIONS = ['reboot', 'restart', 'pause', 'resume', 'set_pools', 'blink_led', 'set_password'] as const
/** Most miners one command may address; the API and the seal check the same bound. */
export const MAX_COMMAND_MINERS = 10_000

export type BlockV1 = Static<typeof BlockV1>
export type BlockV2 = Static<typeof BlockV2>
export type Block = Static<typeof Block>
export type WrappedKeyring = Static<typeof WrappedKeyring>
export type BlockKind = Static<typeof BlockKind>

/**
 * Field names that must never reach the server in plaintext on a secret route.
 * A body carrying one of these is refused with a message telling the user to
 * encrypt on their device.
 */
export const PLAINTEXT_SECRET_FIELDS = [
  'password', 'username', 'user', 'pool_password', 'pool_user', 'pool_url',
  'ip_address', 'ip', 'host', 'port', 'passphrase', 'secret', 'api_key',
] as const

/** 32 bytes in base64url without padding (a P-256 coordinate). */
const Coordinate = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'a P-256 coordinate, 32 bytes base64url' })

/**
 * An edge device's ECDH P-256 public key as a JWK, reduced to its RFC 7638 members.
 * The private half never leaves the device.
 */
export const DevicePublicKey = Type.Object(
  { kty: Type.Literal('EC'), crv: Type.Literal('P-256'), x: Coordinate, y: Coordinate },
  { additionalProperties: false },
)

/**
 * The tenant's data key wrapped for one device (e2ee/device_grant.ts): ECDH with an
 * ephemeral key → HKDF-SHA256 (salt, info binding tenant, device and kid) →
 * AES-256-GCM over the 32 raw key bytes with the same binding as AAD.
 */
export const DeviceKeyGrant = Type.Object(
  {
    version: Type.Literal(1),
    alg: Type.Literal('ECDH-P256+HKDF-SHA256+A256GCM'),
    kid: Kid,
    ephemeral_public_key: DevicePublicKey,
    salt: Type.String({ pattern: '^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$', description: 'HKDF salt, 32 bytes in base64' }),
    iv: Iv,
    ciphertext: Type.String({ pattern: '^[A-Za-z0-9+/]{64}$', description: 'the wrapped 32-byte key and its 16-byte tag, base64' }),
  },
  { additionalProperties: false },
)

export type DevicePublicKey = Static<typeof DevicePublicKey>
export type DeviceKeyGrant = Static<typeof DeviceKeyGrant>
