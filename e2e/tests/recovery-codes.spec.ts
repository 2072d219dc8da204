// A lost phone, in a real browser: a person with two-step sign-in saves
// the recovery codes shown when they turned it on, later signs in with
// the password and a recovery code instead of the app's code, and sees
// one code fewer on /account; then an administrator resets their two-step
// sign-in and they sign in with the password alone.
import { expect, signIn, test } from '../fixtures';
import { ADMIN, shot } from '../support';
import { totp } from '../totp';

test('lost phone: a recovery code signs in once, then an administrator resets two-step sign-in', async ({ page }) => {
  const person = { username: 'lost-phone-user', password: 'lost-phone-password-1' };
  await page.goto('/admin/users/new');
  await signIn(page);
  await page.getByLabel('Username', { exact: true }).fill(person.username);
  await page.getByLabel('Password', { exact: true }).fill(person.password);
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('status')).toContainText('User created.');
  const userPage = new URL(page.url()).pathname;
  await page.getByRole('button', { name: 'Sign out' }).first().click();

  // Two-step sign-in on: the codes are shown once.
  await page.goto('/account');
  await signIn(page, person);
  await page
    .getByRole('region', { name: 'Two-step sign-in' })
    .getByRole('button', { name: 'Set up an authenticator app' })
    .click();
  const key = (await page.locator('#two-step-key').textContent())!;
  await page.getByLabel('6-digit code', { exact: true }).fill(totp(key));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByRole('heading', { name: 'Save your recovery codes' })).toBeVisible();
  const codes = (await page.getByRole('list', { name: 'Recovery codes' }).locator('code').allTextContents()).map((c) =>
    c.trim(),
  );
  expect(codes).toHaveLength(10);
  for (const code of codes) expect(code).toMatch(/^[2-9a-z]{5}-[2-9a-z]{5}$/);
  await shot(page, 'recovery-codes-shown');
  await page.getByRole('link', { name: 'I have saved them, continue' }).click();
  const section = page.getByRole('region', { name: 'Recovery codes' });
  await expect(section).toContainText('10 of 10');
  for (const code of codes) await expect(page.getByText(code)).toHaveCount(0);
  await page.getByRole('button', { name: 'Sign out' }).first().click();

  // The phone is lost: password, then a recovery code instead.
  await page.goto('/account');
  await signIn(page, person);
  await expect(page.getByRole('heading', { name: 'Enter your code' })).toBeVisible();
  const field = page.getByLabel('Recovery code', { exact: true });
  await expect(field).toBeHidden();
  await page.getByText('Use a recovery code').click();
  await field.fill(codes[0].toUpperCase());
  await shot(page, 'recovery-code-entry');
  await page.getByRole('button', { name: 'Sign in with a recovery code' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/account');
  await expect(section).toContainText('9 of 10');
  await page.getByRole('button', { name: 'Sign out' }).first().click();

  // The administrator resets it.
  await page.goto(userPage);
  await signIn(page, ADMIN);
  const factors = page.getByRole('region', { name: 'Two-step sign-in' });
  await expect(factors).toContainText('9 of 10 left');
  await shot(page, 'admin-second-factors');
  await page.getByRole('link', { name: 'Reset two-step sign-in…' }).click();
  await expect(page.getByRole('heading', { name: `Reset two-step sign-in of ${person.username}?` })).toBeVisible();
  await page.getByRole('button', { name: 'Reset two-step sign-in' }).click();
  await expect(page.getByRole('status').first()).toContainText('Two-step sign-in reset');
  await expect(factors).toContainText('Off');
  await page.getByRole('button', { name: 'Sign out' }).first().click();

  // The password alone signs them in now.
  await page.goto('/account');
  await signIn(page, person);
  await expect(page).toHaveURL((url) => url.pathname === '/account');
  await expect(page.getByText('Off. Turn it on')).toBeVisible();
  await expect(page.getByRole('region', { name: 'Recovery codes' })).toHaveCount(0);
});
