/** Steps several browser tests take the same way (pwa_flow tests the steps themselves). */
import type { Page } from 'playwright-core'

export interface NewOwner {
  email: string
  password: string
  farm: string
  passphrase: string
  /** The first site, made on the Sites screen; resolves once its button shows. */
  site: string
}

/** Signs up on the PWA, creates the keyring with the passphrase and adds the first site. */
export async function signUpOwner(page: Page, owner: NewOwner): Promise<void> {
  await page.goto('/')
  await page.getByRole('tab', { name: 'Create account' }).click()
  await page.getByLabel('Email').fill(owner.email)
  await page.getByLabel('Account password').fill(owner.password)
  await page.getByLabel('Farm name').fill(owner.farm)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.getByLabel('Passphrase', { exact: true }).fill(owner.passphrase)
  await page.getByLabel('Type it again').fill(owner.passphrase)
  await page.getByLabel('I understand').check()
  await page.getByRole('button', { name: 'Create encryption keys' }).click()
  await page.getByLabel('New site').fill(owner.site)
  await page.getByRole('button', { name: 'Add site' }).click()
  await page.getByRole('button', { name: new RegExp(owner.site) }).waitFor()
}

/** Opens `path`, signs in and unlocks the farm's keyring. */
export async function signIn(page: Page, path: string, account: { email: string; password: string; passphrase: string }): Promise<void> {
  await page.goto(path)
  await page.locator('form').getByLabel('Email').fill(account.email)
  await page.getByLabel('Account password').fill(account.password)
  await page.locator('form').getByRole('button', { name: 'Sign in' }).click()
  await page.getByLabel('Encryption passphrase').fill(account.passphrase)
  await page.getByRole('button', { name: 'Unlock' }).click()
}
