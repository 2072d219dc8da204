// Sign-in through an upstream OpenID provider in a real browser. The
// provider is a second AuthGate (itself an OpenID provider) reached as
// "localhost", so the two servers' cookies stay apart; the app people sign
// in to is its own server on 127.0.0.1 with the provider added by
// `authgate provider add`. A person unknown to the app signs in through the
// provider on the way to a device's code: an account is created, they
// approve the device, and /account lists the linked account. Screenshots
// of /login with the button and of /account, phone-sized and desktop.
import { expect, test } from '../fixtures';
import { pollToken, requestDeviceCode, shot } from '../support';
import { authgate, startServer, stopServer, type RunningServer } from '../server';

const PERSON = { username: 'dana', password: 'dana-upstream-password' };


let provider: RunningServer;
let app: RunningServer;

test.beforeAll(async () => {
  provider = await startServer({ name: 'upstream-provider', host: 'localhost' });
  app = await startServer({ name: 'upstream-app' });
  const callback = `${app.info.baseURL}/login/upstream/corp/callback`;
  const client = authgate(provider, [
    'client', 'add', 'AuthGate app', '--confidential', '--scopes', 'openid profile email',
    '--redirect-uri', callback, '--grant-type', 'authorization_code',
  ]);
  const clientId = /client_id: (\S+)/.exec(client)![1];
  const secret = /client_secret: (\S+)/.exec(client)![1];
  authgate(
    provider,
    ['user', 'add', PERSON.username, '--password-stdin', '--email', 'dana@corp.example', '--email-verified'],
    `${PERSON.password}\n`,
  );
  const added = authgate(
    app,
    ['provider', 'add', 'corp', '--issuer', provider.info.baseURL, '--client-id', clientId,
      '--client-secret-stdin', '--label', 'Corp', '--create-accounts', '--allowed-domain', 'corp.example'],
    `${secret}\n`,
  );
  expect(added).toContain(`redirect_uri: ${callback}\n`);
});

test.afterAll(async () => {
  if (app) await stopServer(app);
  if (provider) await stopServer(provider);
});

test('a new person signs in through the provider and approves a device', async ({ page, playwright }) => {
  const device = await playwright.request.newContext({ baseURL: app.info.baseURL });
  const code = await requestDeviceCode(device);

  await page.goto(code.verification_uri_complete);
  await expect(page).toHaveURL(/\/login\?next=/);
  const button = page.getByRole('link', { name: 'Sign in with Corp' });
  await expect(button).toBeVisible();
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    await shot(page, `upstream-login-${width}`);
  }
  await button.click();

  // At the provider: its own sign-in and consent pages.
  await expect(page).toHaveURL(new RegExp(`^${provider.info.baseURL}/login`));
  await page.getByLabel('Username', { exact: true }).fill(PERSON.username);
  await page.getByLabel('Password', { exact: true }).fill(PERSON.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Approve', exact: true }).click();

  // Back at the app, signed in as the new account, at the device's code.
  await expect(page).toHaveURL(`${app.info.baseURL}/device?user_code=${code.user_code}`);
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page).toHaveURL(`${app.info.baseURL}/device/approved`);
  const token = await pollToken(device, code.device_code);
  expect(token.status).toBe(200);
  await device.dispose();

  await page.goto(`${app.info.baseURL}/account`);
  const linked = page.getByRole('list', { name: 'Linked sign-in accounts' });
  await expect(linked).toContainText('Corp');
  await expect(linked.getByRole('button', { name: 'Unlink' })).toBeVisible();
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    await shot(page, `upstream-account-${width}`);
  }
  // The only way this account signs in: unlinking is refused.
  await linked.getByRole('button', { name: 'Unlink' }).click();
  await expect(page.getByRole('alert')).toContainText('only way you can sign in');
  expect(authgate(app, ['user', 'list'])).toContain(PERSON.username);
});
