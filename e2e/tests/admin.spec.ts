// The admin dashboard in a browser: who may enter, watching device
// requests arrive live, denying one, revoking the resulting token, and
// managing clients, users and the audit log. Each test gets a server of its
// own, so lists and counts hold only what the test did. Tests whose titles
// say "mobile" run in the 360 px project.
import type { Browser, Locator, Page } from '@playwright/test';
import { startServer, stopServer, type RunningServer } from '../server';
import {
  CLI_CLIENT_NAME,
  exactPath,
  expect,
  expectConsent,
  expectNoHorizontalScroll,
  loginURL,
  markDocument,
  signIn,
  submitCode,
  test as base,
  typeCode,
} from '../fixtures';
import { ADMIN, pollToken, requestDeviceCode, shot, tokenInfo } from '../support';

const test = base.extend<{ adminServer: RunningServer }>({
  adminServer: async ({}, use, testInfo) => {
    const server = await startServer({ name: `server-admin-${testInfo.project.name}` });
    try {
      await use(server);
    } finally {
      await stopServer(server);
    }
  },
  baseURL: async ({ adminServer }, use) => {
    await use(adminServer.info.baseURL);
  },
});

/** Live parts poll every 5 s; allow two rounds and some slack. */
const LIVE_TIMEOUT = 15_000;

const heading = (page: Page, name: string): Locator => page.getByRole('heading', { name, exact: true, level: 1 });
const adminNav = (page: Page): Locator => page.getByRole('navigation', { name: 'Administration' });

/** Signs in as the administrator from /admin and lands on the overview. */
async function openAdmin(page: Page, path = '/admin'): Promise<void> {
  await page.goto(path);
  await expect(page).toHaveURL(loginURL(path));
  await signIn(page);
  await expect(page).toHaveURL(exactPath(path));
  await expect(adminNav(page)).toBeVisible();
}

/** The number of one overview card, by its label. */
const stat = (page: Page, label: string): Locator =>
  page.locator('#overview-live dl > div').filter({ has: page.getByRole('link', { name: label, exact: true }) }).locator('dd');

/** A row of the device-codes table, by its user code. */
const codeRow = (page: Page, userCode: string): Locator => page.locator(`tr[data-user-code="${userCode}"]`);

/** A browser context of its own (another person), signed in as `user`. */
async function otherPerson(browser: Browser, baseURL: string, user: { username: string; password: string }): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await page.goto('/login');
  await signIn(page, user);
  return page;
}

/** Creates a user through the form; returns its password. */
async function createUser(page: Page, username: string, password: string, admin = false): Promise<void> {
  await page.goto('/admin/users/new');
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  if (admin) await page.getByLabel('Administrator', { exact: true }).check();
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(heading(page, username)).toBeVisible();
  await expect(page.getByRole('status')).toContainText('User created.');
}

test('a signed-out visitor is sent to sign-in; a non-administrator gets a 403 page', async ({ page, browser, baseURL }) => {
  await openAdmin(page);
  await expect(heading(page, 'Overview')).toBeVisible();
  await expect(page.getByRole('banner').getByRole('link', { name: 'Admin' })).toBeVisible();
  await expect(adminNav(page).getByRole('link', { name: 'Overview' })).toHaveAttribute('aria-current', 'page');
  await shot(page, 'admin-overview');

  await createUser(page, 'viewer', 'viewer-password-1');
  await shot(page, 'admin-user');
  const viewer = await otherPerson(browser, baseURL!, { username: 'viewer', password: 'viewer-password-1' });
  await expect(viewer.getByRole('banner')).toContainText('Signed in as viewer');
  await expect(viewer.getByRole('banner').getByRole('link', { name: 'Admin' })).toHaveCount(0);
  const response = await viewer.goto('/admin/tokens');
  expect(response?.status()).toBe(403);
  await expect(viewer.getByRole('heading', { name: 'Administrators only' })).toBeVisible();
  await expect(viewer.getByRole('banner')).toContainText('Signed in as viewer');
  await shot(viewer, 'admin-forbidden');
  await viewer.context().close();
});

test('a pending device code appears live; once approved, its token is revoked', async ({ page, device, context }) => {
  await openAdmin(page, '/admin/device-codes');
  await expect(heading(page, 'Device codes')).toBeVisible();
  const sameDocument = await markDocument(page);

  // The device asks; the row arrives through the 5 s refresh, no reload.
  const dc = await requestDeviceCode(device);
  const row = codeRow(page, dc.user_code);
  await expect(row).toBeVisible({ timeout: LIVE_TIMEOUT });
  expect(await sameDocument(), 'htmx swapped the table in place').toBe(true);
  await expect(row).toContainText(CLI_CLIENT_NAME);
  await expect(row).toContainText('Pending');
  await expect(row).toContainText('authgate-cli 1.4.2');
  await expect(row).toContainText('127.0.0.1');
  await expect(page.locator('#device-codes-status')).toHaveText('1 pending device request.');
  await shot(page, 'admin-device-codes');

  // The person approves in another tab; the device collects its token.
  const tab = await context.newPage();
  await tab.goto(`/device?user_code=${dc.user_code}`);
  await submitCode(tab);
  await expectConsent(tab, dc.user_code);
  await tab.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(tab).toHaveURL(exactPath('/device/approved'));
  await tab.close();
  const { status, json } = await pollToken(device, dc.device_code);
  expect(status, JSON.stringify(json)).toBe(200);
  const info = await tokenInfo(device, json.access_token);
  expect(info.status).toBe(200);
  const jti: string = info.json.jti;

  await expect(row).toContainText('Token issued', { timeout: LIVE_TIMEOUT });
  await expect(row).toContainText('admin');
  expect(await sameDocument()).toBe(true);

  // Tokens: find it, confirm, revoke.
  await adminNav(page).getByRole('link', { name: 'Tokens' }).click();
  await expect(heading(page, 'Tokens')).toBeVisible();
  await page.getByLabel('Search', { exact: true }).fill(jti);
  await page.getByRole('button', { name: 'Apply' }).click();
  const tokens = page.getByRole('region', { name: 'Access tokens' });
  await expect(tokens.getByRole('row')).toHaveCount(2); // header + the token
  await expect(tokens).toContainText('Active');
  await shot(page, 'admin-tokens');
  await page.getByRole('link', { name: `Revoke token ${jti}` }).click();
  await expect(page.getByRole('heading', { name: 'Revoke this token?' })).toBeVisible();
  await shot(page, 'admin-revoke-confirm');
  expect((await tokenInfo(device, json.access_token)).status, 'nothing happens before confirming').toBe(200);
  await page.getByRole('button', { name: 'Revoke', exact: true }).click();
  await expect(page.getByRole('status').first()).toContainText('1 active token revoked.');
  const after = await tokenInfo(device, json.access_token);
  expect(after.status).toBe(401);
  expect(after.json.error).toBe('invalid_token');

  // The audit log tells the story.
  await adminNav(page).getByRole('link', { name: 'Audit log' }).click();
  const log = page.getByRole('region', { name: 'Audit events' });
  for (const words of ['Token revoked by admin', 'Token issued', 'Device approved', 'Signed in']) {
    await expect(log.getByText(words, { exact: true }).first()).toBeVisible();
  }
  await page.getByLabel('Event', { exact: true }).selectOption({ label: 'Admin actions' });
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(log.getByText('Token revoked by admin', { exact: true })).toBeVisible();
  await expect(log.getByText('Device approved', { exact: true })).toHaveCount(0);
  await shot(page, 'admin-audit');
});

test('denying a pending request from the device-codes view refuses the device', async ({ page, device }) => {
  const dc = await requestDeviceCode(device);
  await openAdmin(page, '/admin/device-codes');
  const row = codeRow(page, dc.user_code);
  await expect(row).toContainText('Pending');

  page.once('dialog', (dialog) => {
    expect(dialog.message()).toContain(dc.user_code);
    void dialog.accept();
  });
  const sameDocument = await markDocument(page);
  await row.getByRole('button', { name: `Deny request ${dc.user_code}` }).click();
  await expect(page.locator('#device-codes-notice')).toContainText(`Request ${dc.user_code} denied.`);
  await expect(row).toContainText('Denied');
  await expect(row).toContainText('admin');
  await expect(row.getByRole('button')).toHaveCount(0);
  expect(await sameDocument(), 'denied without a reload').toBe(true);

  const { status, json } = await pollToken(device, dc.device_code);
  expect(status).toBe(400);
  expect(json.error).toBe('access_denied');

  // The overview counts it.
  await adminNav(page).getByRole('link', { name: 'Overview' }).click();
  await expect(stat(page, 'Denied')).toHaveText('1');
  await expect(stat(page, 'Pending')).toHaveText('0');
});

test('clients: create a confidential client, show its secret once, rotate it, disable it', async ({ page, device }) => {
  await openAdmin(page, '/admin/clients');
  await page.getByRole('link', { name: 'New client' }).click();
  await expect(heading(page, 'New client')).toBeVisible();

  // Mistakes are shown at the fields.
  await page.getByLabel('Allowed scopes', { exact: true }).fill('');
  await page.getByRole('button', { name: 'Create client' }).click();
  await expect(page.getByLabel('Name', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('Enter at least one scope')).toBeVisible();

  await page.getByLabel('Name', { exact: true }).fill('Deploy bot');
  await page.getByLabel('Allowed scopes', { exact: true }).fill('read deploy');
  await page.getByLabel('Confidential', { exact: true }).check();
  await page.getByRole('button', { name: 'Create client' }).click();
  await expect(page.getByRole('heading', { name: 'Client "Deploy bot" created' })).toBeVisible();
  const clientId = (await page.getByTestId('secret-0').textContent())!.trim();
  const secret = (await page.getByTestId('secret-1').textContent())!.trim();
  await shot(page, 'admin-client-created');

  const ask = (s: string) =>
    device.post('/oauth/device/code', { form: { client_id: clientId, client_secret: s, scope: 'deploy' } });
  expect((await ask(secret)).status()).toBe(200);

  await page.getByRole('link', { name: 'Go to the client' }).click();
  await expect(heading(page, 'Deploy bot')).toBeVisible();
  await expect(page.getByTestId('client-id')).toHaveText(clientId);
  await expect(page.getByText(secret)).toHaveCount(0);
  await shot(page, 'admin-client');

  await page.getByRole('link', { name: 'Rotate secret…' }).click();
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  const rotated = (await page.getByTestId('secret-1').textContent())!.trim();
  expect(rotated).not.toBe(secret);
  expect((await (await ask(secret)).json()).error).toBe('invalid_client');
  expect((await ask(rotated)).status()).toBe(200);

  await page.getByRole('link', { name: 'Back to the client' }).click();
  await page.getByRole('link', { name: 'Disable client…' }).click();
  await expect(page.getByRole('heading', { name: 'Disable Deploy bot?' })).toBeVisible();
  await page.getByRole('button', { name: 'Disable client' }).click();
  await expect(page.getByRole('status').first()).toContainText('Client disabled.');
  expect((await (await ask(rotated)).json()).error).toBe('invalid_client');

  await adminNav(page).getByRole('link', { name: 'Clients' }).click();
  const list = page.getByRole('region', { name: 'OAuth clients' });
  await expect(list.getByRole('row', { name: /Deploy bot/ })).toContainText('Disabled');
  await expect(list.getByRole('row', { name: /AuthGate CLI/ })).toContainText('Enabled');
  await shot(page, 'admin-clients');
});

test('users: promote, reset a password, disable; nobody demotes themselves', async ({ page, browser, baseURL }) => {
  await openAdmin(page, '/admin/users');
  await createUser(page, 'operator', 'operator-password-1');
  await page.getByRole('button', { name: 'Make administrator' }).click();
  await expect(page.getByRole('status').first()).toContainText('Role changed.');
  await expect(page.getByRole('button', { name: 'Remove administrator role' })).toBeEnabled();

  await page.getByRole('link', { name: 'Reset password…' }).click();
  await page.getByRole('button', { name: 'Set password' }).click(); // empty: generate one
  const password = (await page.getByTestId('secret-1').textContent())!.trim();
  expect(password.length).toBeGreaterThanOrEqual(16);
  const operator = await otherPerson(browser, baseURL!, { username: 'operator', password });
  await operator.goto('/admin');
  await expect(heading(operator, 'Overview')).toBeVisible();
  await operator.context().close();

  await page.getByRole('link', { name: 'Back to the user' }).click();
  await page.getByRole('link', { name: 'Disable account…' }).click();
  await page.getByRole('button', { name: 'Disable account' }).click();
  await expect(page.getByRole('status').first()).toContainText('Account disabled');
  const refused = await browser.newContext({ baseURL });
  const attempt = await refused.newPage();
  await attempt.goto('/login');
  await signIn(attempt, { username: 'operator', password });
  await expect(attempt.getByRole('alert')).toContainText('Incorrect username or password.');
  await refused.close();

  // One's own account: the buttons are disabled, and it says why.
  await adminNav(page).getByRole('link', { name: 'Users' }).click();
  const users = page.getByRole('region', { name: 'Users' });
  await expect(users.getByRole('row', { name: /operator/ })).toContainText('Disabled');
  await shot(page, 'admin-users');
  await users.getByRole('link', { name: ADMIN.username, exact: true }).click();
  await expect(page.getByText('This is your own account')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Remove administrator role' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Disable account…' })).toBeDisabled();
});

test('the overview refreshes its counts live', async ({ page, device }) => {
  await openAdmin(page);
  await expect(stat(page, 'Pending')).toHaveText('0');
  const sameDocument = await markDocument(page);
  await requestDeviceCode(device);
  await requestDeviceCode(device);
  await expect(stat(page, 'Pending')).toHaveText('2', { timeout: LIVE_TIMEOUT });
  await expect(page.locator('#overview-status')).toHaveText('2 pending device requests, 0 active tokens.');
  expect(await sameDocument()).toBe(true);
});

test('mobile: the admin pages at 360 px show table rows as cards, never scrolling sideways', async ({ page, device }) => {
  await requestDeviceCode(device);
  await openAdmin(page);
  for (const [path, name] of [
    ['/admin', 'overview'],
    ['/admin/device-codes', 'device-codes'],
    ['/admin/tokens', 'tokens'],
    ['/admin/clients', 'clients'],
    ['/admin/clients/new', 'client-new'],
    ['/admin/users', 'users'],
    ['/admin/audit', 'audit'],
  ]) {
    await page.goto(path);
    await expect(adminNav(page)).toBeVisible();
    await expectNoHorizontalScroll(page, 360);
    await shot(page, `admin-${name}`);
  }
  // Rows are cards that fit: the table's frame has nothing to scroll, and
  // the column headers give way to a label on each line of a card.
  for (const [path, region] of [
    ['/admin/device-codes', 'Device requests'],
    ['/admin/clients', 'OAuth clients'],
    ['/admin/users', 'Users'],
    ['/admin/audit', 'Audit events'],
  ]) {
    await page.goto(path);
    const frame = page.getByRole('region', { name: region });
    await expect(frame).toHaveAttribute('tabindex', '0');
    const scrolls = await frame.evaluate((el) => el.scrollWidth > el.clientWidth);
    expect(scrolls, `${path}: the cards fit their frame`).toBe(false);
    await expect(frame.locator('thead')).toBeHidden();
  }
});

test.describe('at 390 px', () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test('mobile: a device request is a card whose Deny button is in view without scrolling sideways', async ({ page, device }) => {
    const dc = await requestDeviceCode(device);
    await openAdmin(page, '/admin/device-codes');
    const row = codeRow(page, dc.user_code);
    await expect(row.getByText('Status', { exact: true })).toBeVisible();
    const deny = row.getByRole('button', { name: `Deny request ${dc.user_code}` });
    await deny.scrollIntoViewIfNeeded();
    await expect(deny).toBeInViewport({ ratio: 1 });
    expect(await page.evaluate(() => window.scrollX), 'no sideways scroll').toBe(0);
    const box = await deny.boundingBox();
    expect(box, 'the button is laid out').not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    await expectNoHorizontalScroll(page, 390);
    await shot(page, 'admin-device-codes-390');

    page.once('dialog', (dialog) => void dialog.accept());
    await deny.click();
    await expect(page.locator('#device-codes-notice')).toContainText(`Request ${dc.user_code} denied.`);
    await expect(row).toContainText('Denied');
  });
});
