// Connected devices (/account): the applications a person approved, and
// revoking one. Each test gets a server of its own, so the list starts
// empty and holds only what the test approves (the shared server collects
// approvals from every other spec).
import type { APIRequestContext, Locator, Page } from '@playwright/test';
import { startServer, stopServer, type RunningServer } from '../server';
import {
  CLI_CLIENT_NAME,
  DEVICE_NAME,
  MESSAGES,
  exactPath,
  exactPathAndQuery,
  expect,
  expectCodeEntry,
  expectConsent,
  expectNoHorizontalScroll,
  loginURL,
  signIn,
  submitCode,
  test as base,
  typeCode,
} from '../fixtures';
import { pollToken, refreshToken, requestDeviceCode, shot, tokenInfo } from '../support';

/** A second device, told apart from `device` by its User-Agent. */
const OTHER_USER_AGENT = 'curl/8.5.0';
const OTHER_DEVICE_NAME = 'curl 8.5.0';

const SCOPE_WORDS = ['Read your data', 'Create and change data on your behalf'];

// `page` and `device` follow `baseURL`, so both talk to this server.
const test = base.extend<{ accountServer: RunningServer; otherDevice: APIRequestContext }>({
  accountServer: async ({}, use, testInfo) => {
    const server = await startServer({ name: `server-account-${testInfo.project.name}` });
    try {
      await use(server);
    } finally {
      await stopServer(server);
    }
  },
  baseURL: async ({ accountServer }, use) => {
    await use(accountServer.info.baseURL);
  },
  otherDevice: async ({ playwright, baseURL }, use) => {
    const other = await playwright.request.newContext({ baseURL, userAgent: OTHER_USER_AGENT });
    await use(other);
    await other.dispose();
  },
});

interface Tokens {
  access_token: string;
  refresh_token: string;
}

const accountHeading = (page: Page): Locator =>
  page.getByRole('heading', { name: 'Connected devices', exact: true });

/** The list of approved applications (absent when there is none). */
const grantList = (page: Page): Locator => page.getByRole('list', { name: 'Approved applications' });

/** One entry of the list per approved application (not the scope chips inside). */
const grantRows = (page: Page): Locator => grantList(page).locator(':scope > li');

const rowOf = (page: Page, deviceName: string): Locator =>
  grantRows(page).filter({ hasText: deviceName });

/**
 * Approves a new code of `device` in the browser (the page must be signed
 * in) and returns the tokens the device's next poll gets.
 */
async function approveDevice(page: Page, device: APIRequestContext): Promise<Tokens> {
  const dc = await requestDeviceCode(device);
  await page.goto('/device');
  await expectCodeEntry(page);
  await typeCode(page, dc.user_code);
  await submitCode(page);
  await expectConsent(page, dc.user_code);
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page).toHaveURL(exactPath('/device/approved'));
  const { status, json } = await pollToken(device, dc.device_code);
  expect(status, JSON.stringify(json)).toBe(200);
  expect(json.access_token).toEqual(expect.any(String));
  expect(json.refresh_token).toEqual(expect.any(String));
  return json as Tokens;
}

/** Opens /account through the header's "Devices" link. */
async function openAccountFromHeader(page: Page, how: 'click' | 'tap'): Promise<void> {
  const link = page.getByRole('banner').getByRole('link', { name: 'Devices', exact: true });
  await (how === 'tap' ? link.tap() : link.click());
  await expect(page).toHaveURL(exactPath('/account'));
  await expect(accountHeading(page)).toBeVisible();
  await expect(page).toHaveTitle('Connected devices · AuthGate');
}

/** Asserts one approved application's entry. */
async function expectGrantRow(row: Locator, deviceName: string): Promise<void> {
  await expect(row).toHaveCount(1);
  await expect(row.getByRole('heading', { level: 2 })).toHaveText(CLI_CLIENT_NAME);
  await expect(row).toContainText(deviceName);
  await expect(row).toContainText('127.0.0.1');
  await expect(row).toContainText('Approved just now · last used just now');
  await expect(row.getByRole('listitem')).toHaveText(SCOPE_WORDS);
  await expect(row.getByRole('button', { name: 'Revoke access', exact: true })).toBeVisible();
}

/** Asserts the empty state of /account. */
async function expectNoDevices(page: Page): Promise<void> {
  await expect(page.getByText(MESSAGES.noDevices, { exact: true })).toBeVisible();
  await expect(grantList(page)).toHaveCount(0);
  await expect(page.getByRole('main').getByRole('link', { name: 'Connect a device', exact: true })).toHaveAttribute(
    'href',
    '/device',
  );
}

test('connected devices: approved devices are listed; revoking one signs out that device only', async ({
  page,
  device,
  otherDevice,
  baseURL,
  accountServer,
}) => {
  test.setTimeout(60_000);
  expect(baseURL).toBe(accountServer.info.baseURL);

  // Signed out, /account asks for sign-in first (without the device notice).
  await page.goto('/account');
  await expect(page).toHaveURL(loginURL('/account'));
  await expect(page.getByText(MESSAGES.signInNotice)).toHaveCount(0);
  await signIn(page);
  await expect(page).toHaveURL(exactPath('/account'));
  await expect(accountHeading(page)).toBeVisible();
  await expect(page.getByRole('status')).toHaveCount(0);
  await expectNoDevices(page);
  await shot(page, 'account-empty');

  // Two devices approved in the browser.
  const cli = await approveDevice(page, device);
  const curl = await approveDevice(page, otherDevice);

  // The CLI refreshes once: refreshing works, and the refreshed pair is
  // what it holds from now on.
  const refreshed = await refreshToken(device, cli.refresh_token);
  expect(refreshed.status, JSON.stringify(refreshed.json)).toBe(200);
  const cliNow = refreshed.json as Tokens;
  expect(cliNow.refresh_token).toEqual(expect.any(String));
  for (const token of [cliNow.access_token, curl.access_token]) {
    const info = await tokenInfo(device, token);
    expect(info.status, JSON.stringify(info.json)).toBe(200);
  }

  await openAccountFromHeader(page, 'click');
  await expect(grantRows(page)).toHaveCount(2);
  await expectGrantRow(rowOf(page, DEVICE_NAME), DEVICE_NAME);
  await expectGrantRow(rowOf(page, OTHER_DEVICE_NAME), OTHER_DEVICE_NAME);
  await expect(page.getByRole('status')).toHaveCount(0);
  await shot(page, 'account');

  // Revoking is a POST carrying the CSRF token; without it the server refuses.
  const cliRow = rowOf(page, DEVICE_NAME);
  const form = cliRow.locator('form');
  await expect(form).toHaveAttribute('method', 'post');
  const action = await form.getAttribute('action');
  expect(action).toMatch(/^\/account\/grants\/[^/]+\/revoke$/);
  await expect(form.locator('input[type="hidden"][name="csrf_token"]')).toHaveValue(/.+/);
  const forged = await page.request.post(action!, { form: {}, maxRedirects: 0 });
  expect(forged.status(), 'a revoke without the CSRF token').toBe(403);
  await page.reload();
  await expect(grantRows(page)).toHaveCount(2);
  expect((await tokenInfo(device, cliNow.access_token)).status).toBe(200);

  // Revoke the CLI.
  await cliRow.getByRole('button', { name: 'Revoke access', exact: true }).click();
  await expect(page).toHaveURL(exactPathAndQuery('/account', '?revoked=1'));
  await expect(page.getByRole('status')).toHaveText(MESSAGES.accessRevoked);
  await expect(grantRows(page)).toHaveCount(1);
  await expect(rowOf(page, DEVICE_NAME)).toHaveCount(0);
  await expectGrantRow(rowOf(page, OTHER_DEVICE_NAME), OTHER_DEVICE_NAME);
  await shot(page, 'account-revoked');

  // The CLI is signed out: its access tokens (the refreshed one and the
  // first) are rejected, and its refresh token no longer works.
  for (const token of [cliNow.access_token, cli.access_token]) {
    const info = await tokenInfo(device, token);
    expect(info.status, `tokeninfo after revocation: ${JSON.stringify(info.json)}`).toBe(401);
  }
  const refused = await refreshToken(device, cliNow.refresh_token);
  expect(refused.status, JSON.stringify(refused.json)).toBe(400);
  expect(refused.json.error).toBe('invalid_grant');

  // The other device is untouched.
  const stillFine = await tokenInfo(otherDevice, curl.access_token);
  expect(stillFine.status, JSON.stringify(stillFine.json)).toBe(200);

  // Revoke the last one: the notice, and the empty state.
  await rowOf(page, OTHER_DEVICE_NAME).getByRole('button', { name: 'Revoke access', exact: true }).click();
  await expect(page).toHaveURL(exactPathAndQuery('/account', '?revoked=1'));
  await expect(page.getByRole('status')).toHaveText(MESSAGES.accessRevoked);
  await expectNoDevices(page);
  await shot(page, 'account-revoked-empty');

  expect((await tokenInfo(otherDevice, curl.access_token)).status).toBe(401);
  const refusedToo = await refreshToken(otherDevice, curl.refresh_token);
  expect(refusedToo.status, JSON.stringify(refusedToo.json)).toBe(400);
  expect(refusedToo.json.error).toBe('invalid_grant');

  // Revoking the same grant again finds nothing.
  const csrf = await page.request.get('/account').then(async (r) => {
    const m = /name="csrf_token" value="([^"]+)"/.exec(await r.text());
    return m?.[1] ?? '';
  });
  expect(csrf).not.toBe('');
  const again = await page.request.post(action!, { form: { csrf_token: csrf }, maxRedirects: 0 });
  expect(again.status(), 'revoking an already revoked grant').toBe(404);
});

test('mobile: connected devices at 360 px', async ({ page, device, otherDevice }) => {
  test.setTimeout(60_000);
  const width = 360;
  expect(page.viewportSize()?.width, 'this test needs the 360 px mobile project').toBe(width);

  await page.goto('/device');
  await signIn(page);
  await expect(page).toHaveURL(exactPath('/device'));
  await openAccountFromHeader(page, 'tap');
  await expectNoDevices(page);
  await expectNoHorizontalScroll(page, width);
  await shot(page, 'account-empty');

  await approveDevice(page, device);
  await approveDevice(page, otherDevice);
  await openAccountFromHeader(page, 'tap');
  await expect(grantRows(page)).toHaveCount(2);
  await expectGrantRow(rowOf(page, DEVICE_NAME), DEVICE_NAME);
  await expectGrantRow(rowOf(page, OTHER_DEVICE_NAME), OTHER_DEVICE_NAME);
  await expectNoHorizontalScroll(page, width);

  // Every Revoke button fully on screen horizontally and big enough to tap.
  for (const button of await page.getByRole('button', { name: 'Revoke access', exact: true }).all()) {
    const b = (await button.boundingBox())!;
    expect(b.x).toBeGreaterThanOrEqual(0);
    expect(b.x + b.width).toBeLessThanOrEqual(width);
    expect(b.height).toBeGreaterThanOrEqual(44);
  }
  await shot(page, 'account');

  const revoke = rowOf(page, DEVICE_NAME).getByRole('button', { name: 'Revoke access', exact: true });
  await revoke.scrollIntoViewIfNeeded();
  await revoke.tap();
  await expect(page).toHaveURL(exactPathAndQuery('/account', '?revoked=1'));
  await expect(page.getByRole('status')).toHaveText(MESSAGES.accessRevoked);
  await expect(grantRows(page)).toHaveCount(1);
  await expectNoHorizontalScroll(page, width);
  await shot(page, 'account-revoked');

  await rowOf(page, OTHER_DEVICE_NAME).getByRole('button', { name: 'Revoke access', exact: true }).tap();
  await expect(page.getByRole('status')).toHaveText(MESSAGES.accessRevoked);
  await expectNoDevices(page);
  await expectNoHorizontalScroll(page, width);
  await shot(page, 'account-revoked-empty');
});
