// Passkeys in Chromium with a virtual authenticator (Chrome DevTools
// Protocol, WebAuthn domain): a person signs in with their password, adds
// a passkey on /account, signs out, signs in with the passkey alone (no
// username typed) on the way to a device's code, approves the device, and
// the device's token is valid.
//
// WebAuthn needs a relying party id that is a domain name, so this spec
// runs a server of its own whose BASE_URL is http://localhost:PORT (the
// shared server's is 127.0.0.1, where browsers refuse passkeys).
import { startServer, stopServer, type RunningServer } from '../server';
import { connectDevice, expect, signIn, test as base } from '../fixtures';
import { shot, tokenInfo } from '../support';

const test = base.extend<{ passkeyServer: RunningServer }>({
  passkeyServer: async ({}, use, testInfo) => {
    const server = await startServer({
      name: `server-passkeys-${testInfo.project.name}`,
      host: 'localhost',
    });
    try {
      await use(server);
    } finally {
      await stopServer(server);
    }
  },
  baseURL: async ({ passkeyServer }, use) => {
    await use(passkeyServer.info.baseURL);
  },
});

test('passkeys: add one on /account, sign in with it alone, approve a device', async ({ page, request }) => {
  // A platform authenticator that keeps discoverable credentials and
  // verifies the person (as a phone's or laptop's biometrics do).
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });

  await page.goto('/account');
  await signIn(page);
  const card = page.getByRole('region', { name: 'Passkeys' });
  await expect(card).toBeVisible();
  await card.getByLabel('Name for the new passkey', { exact: true }).fill('This laptop');
  await card.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(page.getByText('Passkey added.')).toBeVisible();
  await expect(page.getByRole('list', { name: 'Your passkeys' })).toContainText('This laptop');
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0].isResidentCredential).toBe(true);
  await shot(page, 'passkeys-account');

  // The sign-in page asks the authenticator at once for the autofill
  // (conditional mediation), which a virtual authenticator answers by
  // itself: hold it (no user presence) while the page is looked at.
  await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled: false });
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await expect(page).toHaveURL(/signed_out=1/);

  // Signed out: the device page sends the person to sign in; the passkey
  // alone (no username, no password) signs them in and back.
  await page.goto('/device');
  await expect(page).toHaveURL(/\/login\?next=/);
  await expect(page.getByRole('button', { name: 'Sign in with a passkey' })).toBeVisible();
  await expect(page.getByLabel('Username', { exact: true })).toHaveAttribute('autocomplete', 'username webauthn');
  await shot(page, 'passkeys-login');
  await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled: true });
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page).toHaveURL(/\/device$/);
  await expect(page.getByText('Signed in as')).toContainText('admin');

  const device = await connectDevice(page, request);
  expect(device.status).toBe(200);
  const info = await tokenInfo(request, device.json.access_token);
  expect(info.status).toBe(200);
  expect(info.json.active).toBe(true);
  expect(info.json.username).toBe('admin');
  // The approval was made by a session signed in with the passkey alone.
  expect(info.json.amr).toEqual(['hwk', 'mfa']);
  expect(info.json.acr).toBe('phr');

  // The passkey shows as used.
  await page.goto('/account#passkeys');
  await expect(page.getByRole('list', { name: 'Your passkeys' })).toContainText('last used');

  // Signed out again, the username field's autofill (answered here by the
  // virtual authenticator at once) signs in without a click.
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await expect(page).toHaveURL(/\/device$/);
  await expect(page.getByText('Signed in as')).toContainText('admin');
});
