// Two-step sign-in (TOTP, RFC 6238) in a real browser, with the codes an
// authenticator app would show computed here from the key on the page: a
// person sets it up on /account (a wrong code refused, a right one turns
// it on), signs out, signs in with password and code on the way to a
// device's code, approves the device, and turns it off again.
import { connectDevice, expect, signIn, test } from '../fixtures';
import { shot } from '../support';
import { totp } from '../totp';

test('two-step sign-in: set up, sign in with a code on the way to a device, turn off', async ({ page, request }) => {
  const person = { username: 'two-step-user', password: 'two-step-password-1' };
  await page.goto('/admin/users/new');
  await signIn(page);
  await page.getByLabel('Username', { exact: true }).fill(person.username);
  await page.getByLabel('Password', { exact: true }).fill(person.password);
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('status')).toContainText('User created.');
  await page.getByRole('button', { name: 'Sign out' }).first().click();

  await page.goto('/account');
  await signIn(page, person);
  const section = page.getByRole('region', { name: 'Two-step sign-in' });
  await section.getByRole('button', { name: 'Set up an authenticator app' }).click();
  await expect(page.getByRole('img', { name: 'QR code of the key' })).toBeVisible();
  const key = (await page.locator('#two-step-key').textContent())!;
  await page.getByLabel('6-digit code', { exact: true }).fill(totp(key, -20));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByText('That code is not right')).toBeVisible();
  await page.goto('/account#two-step');
  await page.getByLabel('6-digit code', { exact: true }).fill(totp(key));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByRole('heading', { name: 'Save your recovery codes' })).toBeVisible();
  await page.getByRole('link', { name: 'I have saved them, continue' }).click();
  await expect(page.getByText('On. Signing in asks for a code')).toBeVisible();
  await expect(page.locator('#two-step-key')).toHaveCount(0);
  await page.getByRole('button', { name: 'Sign out' }).first().click();

  // Password, then the code (the next step's: the current one may be the
  // step that turned it on, and a step is accepted once), then the device.
  await page.goto('/device');
  await signIn(page, person);
  await expect(page.getByRole('heading', { name: 'Enter your code' })).toBeVisible();
  await shot(page, 'two-step-code');
  await page.getByLabel('6-digit code', { exact: true }).fill(totp(key, 1));
  await page.getByRole('button', { name: 'Continue' }).click();
  const device = await connectDevice(page, request);
  expect(device.status).toBe(200);

  // Turning it off takes the password.
  await page.goto('/account#two-step');
  await page.getByLabel('Or your password', { exact: true }).fill(person.password);
  await page.getByRole('button', { name: 'Turn off' }).click();
  await expect(page.getByText('Off. Turn it on')).toBeVisible();
});
