import Type, { type Static } from 'typebox'
import { WrappedKeyring } from '../../../e2ee/schema.ts'

/** The floor below which a keyring's KDF is refused (DESIGN.md, v2). */
export const MIN_KEYRING_ITERATIONS = 600_000

export const PutKeyringBody = Type.Object(
  {
    keyring: WrappedKeyring,
    /** Optimistic concurrency: the revision this write replaces (absent for the first keyring). */
    base_revision: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
)
export const KeyringResponse = Type.Object({
  keyring: Type.Union([WrappedKeyring, Type.Null()]),
  revision: Type.Union([Type.Integer(), Type.Null()]),
})

export type PutKeyringBody = Static<typeof PutKeyringBody>
