// Two-step sign-in (TOTP, RFC 6238) in a real browser, with the codes an
// authenticator app would show computed here from the key on the page: a
// person sets it up on /account (a wrong code refused, a right one turns
// it on), signs out, signs in with password and code on the way to a
// device's code, approves the device, and turns it off again.
import crypto from 'node:crypto';
import { connectDevice, expect, signIn, test } from '../fixtures';
import { shot } from '../support';

/** The key's bytes from its base32 text (RFC 4648, spaces ignored). */
function base32(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of text.replace(/\s/g, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The 6-digit code of the 30 s step `offset` steps from now (SHA-1). */
function totp(key: string, offset = 0): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000) + offset));
  const mac = crypto.createHmac('sha1', base32(key)).update(counter).digest();
  const at = mac[19] & 15;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

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
