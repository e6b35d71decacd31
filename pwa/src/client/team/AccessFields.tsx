/**
 * The role and sites a member gets, as the invite and the role-change forms ask for
 * them. The fields are plain form controls; {@link readAccess} reads them back.
 */
import { useState } from 'preact/hooks'
import type { Role, Site } from '../../shared/api_types.ts'
import { grantableRoles, ROLE_MEANING } from './members.ts'

/** The chosen role, and the sites (null: every site, including ones added later). */
export function readAccess(form: FormData): { role: Role; allowed_site_ids: string[] | null } {
  const role = String(form.get('role')) as Role
  return { role, allowed_site_ids: form.get('scope') === 'some' ? form.getAll('site').map(String) : null }
}

export function AccessFields({ sites, role = 'operator', siteIds = null }: { sites: Site[]; role?: Role; siteIds?: string[] | null }) {
  const [some, setSome] = useState(siteIds !== null)
  return (
    <>
      <label>Role
        <select name="role" defaultValue={role}>
          {grantableRoles().map((r) => <option key={r} value={r}>{ROLE_MEANING[r]}</option>)}
        </select>
      </label>
      <fieldset class="stack">
        <legend>Sites</legend>
        <label class="check"><input type="radio" name="scope" value="all" checked={!some} onChange={() => setSome(false)} /> Every site, including ones added later</label>
        <label class="check"><input type="radio" name="scope" value="some" checked={some} onChange={() => setSome(true)} /> Only these sites</label>
        {some && sites.map((s) => (
          <label key={s.id} class="check"><input type="checkbox" name="site" value={s.id} defaultChecked={siteIds?.includes(s.id) ?? false} /> {s.name}</label>
        ))}
      </fieldset>
    </>
  )
}
