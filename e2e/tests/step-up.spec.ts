// Second-factor policies in a real browser, against a server of its own
// whose STEP_UP_MAX_AGE is 30 s (the shortest it accepts): an administrator
// requires a second factor of a person, who is sent to set one up at sign-in
// and comes back to the device's code; then the administrator requires one
// to approve the CLI client, and once the window has passed the consent
// asks for a code first and returns to the same request.
import { startServer, stopServer, type RunningServer } from '../server';
import { expect, expectConsent, signIn, submitCode, test as base, typeCode } from '../fixtures';
import { CLI_CLIENT_ID, pollToken, requestDeviceCode, shot } from '../support';
import { totp } from '../totp';

const WINDOW_SECS = 30;

const test = base.extend<{ server: RunningServer }>({
  server: async ({}, use) => {
    const server = await startServer({ name: 'server-step-up', env: { STEP_UP_MAX_AGE: `${WINDOW_SECS}s` } });
    try {
      await use(server);
    } finally {
      await stopServer(server);
    }
  },
  baseURL: async ({ server }, use) => {
    await use(server.info.baseURL);
  },
});

test('a required second factor: enrolment at sign-in, then a step-up before approving', async ({ page, request }) => {
  test.setTimeout(120_000);
  const person = { username: 'step-up-user', password: 'step-up-password-1' };

  // The administrator creates the person and requires a second factor.
  await page.goto('/admin/users/new');
  await signIn(page);
  await page.getByLabel('Username', { exact: true }).fill(person.username);
  await page.getByLabel('Password', { exact: true }).fill(person.password);
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('status')).toContainText('User created.');
  await page.getByRole('button', { name: 'Require a second factor' }).click();
  await expect(page.getByRole('status')).toContainText('Second-factor rule saved.');
  await expect(page.getByText('Required', { exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).first().click();

  // Signing in on the way to a device's code leads to set-up first.
  const first = await requestDeviceCode(request);
  await page.goto(`/device?user_code=${first.user_code}`);
  await signIn(page, person);
  await expect(page).toHaveURL(/\/account\?two_step=required/);
  await expect(page.getByText('Your administrator requires two-step sign-in')).toBeVisible();
  await shot(page, 'step-up-enrol');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'step-up-enrol-phone');
  await page.setViewportSize({ width: 1280, height: 800 });
  const section = page.getByRole('region', { name: 'Two-step sign-in' });
  await section.getByRole('button', { name: 'Set up an authenticator app' }).click();
  const key = (await page.locator('#two-step-key').textContent())!;
  await page.getByLabel('6-digit code', { exact: true }).fill(totp(key));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByRole('heading', { name: 'Save your recovery codes' })).toBeVisible();
  await page.getByRole('link', { name: 'I have saved them, continue' }).click();
  await expect(page.getByText('On. Signing in asks for a code')).toBeVisible();
  await page.getByRole('link', { name: 'Continue where you were' }).click();
  await submitCode(page);
  await expectConsent(page, first.user_code);
  await expect(page.getByText('password and one-time code')).toBeVisible();
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Device connected' })).toBeVisible();
  expect((await pollToken(request, first.device_code)).status).toBe(200);
  await page.getByRole('button', { name: 'Sign out' }).first().click();

  // The administrator requires a second factor to approve the CLI.
  await page.goto(`/admin/clients/${CLI_CLIENT_ID}`);
  await signIn(page);
  await page.getByRole('button', { name: 'Require a second factor to approve' }).click();
  await expect(page.getByRole('status')).toContainText('Second-factor rule saved.');
  await page.getByRole('button', { name: 'Sign out' }).first().click();

  // The person signs in with password and code: fresh, so no step-up yet.
  await page.goto('/device');
  await signIn(page, person);
  await page.getByLabel('6-digit code', { exact: true }).fill(totp(key, 1));
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Connect a device' })).toBeVisible();

  // Past the window, a new request asks for a code before its consent.
  await page.waitForTimeout((WINDOW_SECS + 2) * 1000);
  const second = await requestDeviceCode(request);
  await typeCode(page, second.user_code);
  await submitCode(page);
  await expect(page.getByRole('heading', { name: "Confirm it's you" })).toBeVisible();
  await shot(page, 'step-up-confirm');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'step-up-confirm-phone');
  await page.setViewportSize({ width: 1280, height: 800 });
  // The next step's code: the current one may be the step used at sign-in.
  await page.getByLabel('6-digit code', { exact: true }).fill(totp(key, 1));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page).toHaveURL(new RegExp(`/device\\?user_code=${second.user_code}$`));
  await submitCode(page);
  await expectConsent(page, second.user_code);
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Device connected' })).toBeVisible();
  expect((await pollToken(request, second.device_code)).status).toBe(200);
});
