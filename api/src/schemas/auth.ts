import Type, { type Static } from 'typebox'
import { DisplayName, Role, Uuid } from './common.ts'

export const Email = Type.String({ format: 'email', maxLength: 254 })
/** The account password: signs in, never encrypts anything. */
export const AccountPassword = Type.String({ minLength: 10, maxLength: 256 })

export const RegisterBody = Type.Object(
  { email: Email, password: AccountPassword, tenantName: DisplayName },
  { additionalProperties: false },
)
export const LoginBody = Type.Object(
  { email: Email, password: Type.String({ minLength: 1, maxLength: 256 }), tenantId: Type.Optional(Uuid) },
  { additionalProperties: false },
)

export const UserResponse = Type.Object({ id: Uuid, email: Type.String() })
export const TenantResponse = Type.Object({ id: Uuid, name: Type.String(), role: Role })
export const RegisterResponse = Type.Object({ token: Type.String(), user: UserResponse, tenant: TenantResponse })
export const LoginResponse = Type.Object({ token: Type.String(), user: UserResponse, tenant: TenantResponse })

export type RegisterBody = Static<typeof RegisterBody>
export type LoginBody = Static<typeof LoginBody>
