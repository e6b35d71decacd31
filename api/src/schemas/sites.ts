import Type, { type Static } from 'typebox'
import { DisplayName, Timestamp, Uuid } from './common.ts'

export const CreateSiteBody = Type.Object(
  { name: DisplayName, location: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
)
export const SiteResponse = Type.Object({
  id: Uuid,
  name: Type.String(),
  location: Type.Union([Type.String(), Type.Null()]),
  created_at: Timestamp,
})
export const SiteListResponse = Type.Object({ sites: Type.Array(SiteResponse) })

export type CreateSiteBody = Static<typeof CreateSiteBody>
