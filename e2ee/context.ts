/**
 * The additional authenticated data (AAD) that binds a v2 ciphertext to where it
 * belongs. A block copied to another miner, kind, tenant, keyring or counter then
 * fails to authenticate, so a hostile server cannot swap blocks around.
 */
import { utf8, type Bytes } from './base64.ts'
import type { BlockKind } from './schema.ts'
import { isBlockKind } from './validate.ts'

/** Where a v2 block belongs; `counter` rises by one on every save of (kind, subject). */
export interface BlockContext {
  tenantId: string
  kind: BlockKind
  subjectId: string
  counter: number
}

/**
 * The fields are joined with '|', so a '|' inside the tenant or subject id could
 * make two different contexts produce the same AAD ("a|b" + "c" vs "a" + "b|c").
 * Refusing it keeps the encoding injective; ids are UUIDs or numbers in practice.
 */
function assertPart(name: string, value: string): void {
  if (typeof value !== 'string' || value === '' || value.includes('|')) {
    throw new TypeError(`Cannot bind block context: ${name} must be a non-empty string without '|'`)
  }
}

/** Checks a context before it is bound into AAD; throws TypeError on a programmer error. */
export function assertBlockContext(context: Omit<BlockContext, 'counter'> & { counter?: number }): void {
  assertPart('tenantId', context.tenantId)
  assertPart('subjectId', context.subjectId)
  if (!isBlockKind(context.kind)) {
    throw new TypeError(`Cannot bind block context: unknown kind ${JSON.stringify(context.kind)}`)
  }
  if (context.counter !== undefined && !(Number.isSafeInteger(context.counter) && context.counter >= 1)) {
    throw new TypeError('Cannot bind block context: counter must be an integer from 1')
  }
}

/** AAD of a wrapped keyring: `e2ee/v2/keyring|<tenant_id>|<kid>`. */
export function keyringAad(tenantId: string, kid: string): Bytes {
  assertPart('tenantId', tenantId)
  return utf8(`e2ee/v2/keyring|${tenantId}|${kid}`)
}

/** AAD of a v2 block: `e2ee/v2/block|<tenant_id>|<kind>|<subject_id>|<kid>|<counter>`. */
export function blockAad(context: BlockContext, kid: string): Bytes {
  const { tenantId, kind, subjectId, counter } = context
  return utf8(`e2ee/v2/block|${tenantId}|${kind}|${subjectId}|${kid}|${counter}`)
}
