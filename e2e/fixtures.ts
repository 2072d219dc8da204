// The `test` the browser specs use, and the page steps they share.
//
// Fixtures on top of Playwright's:
// - `device`: an API client playing the device (the CLI). It sends its own
//   User-Agent, so the consent page's "Device" row is predictable, and it
//   follows `baseURL` (a spec that starts its own server overrides that).
import {
  test as base,
  expect,
  type APIRequestContext,
  type Locator,
  type Page,
} from '@playwright/test';
import { ADMIN, pollToken, requestDeviceCode } from './support';

export { expect };

/** The User-Agent of the pretend CLI, and how the consent page names it. */
export const DEVICE_USER_AGENT = 'authgate-cli/1.4.2 (linux; e2e)';
export const DEVICE_NAME = 'authgate-cli 1.4.2';

/** The name the server gives the CLI client (bootstrap.rs). */
export const CLI_CLIENT_NAME = 'AuthGate CLI';

export const MESSAGES = {
  badCredentials: 'Incorrect username or password.',
  signInNotice: 'Sign in to connect your device. You will come back to the code afterwards.',
  unknownCode: 'That code is not valid. Check it on your device and try again.',
  expiredCode: 'That code has expired. Start again on your device to get a new one.',
  usedCode: 'That code has already been used. Start again on your device.',
  signedOut: 'You have signed out.',
  accessRevoked: 'Access revoked. That device is signed out.',
  noDevices: 'No device has access to your account.',
} as const;

/** document.title of the consent view (set by htmx from the fragment's <title>). */
export const CONSENT_TITLE = 'Authorize device · AuthGate';

/**
 * Console errors the journey causes on purpose: the browser logs every 4xx
 * response, and a failed sign-in answers 401, a refused code 422.
 */
const EXPECTED_CONSOLE_ERRORS = /^Failed to load resource: the server responded with a status of (401|422) /;

export const test = base.extend<{ device: APIRequestContext; consoleGuard: void }>({
  device: async ({ playwright, baseURL }, use) => {
    const device = await playwright.request.newContext({ baseURL, userAgent: DEVICE_USER_AGENT });
    await use(device);
    await device.dispose();
  },

  // Fails a test whose page logged an unexpected console error or threw:
  // a CSP violation that blocks htmx or app.js shows up here first.
  consoleGuard: [
    async ({ page }, use) => {
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() !== 'error' || EXPECTED_CONSOLE_ERRORS.test(message.text())) return;
        problems.push(`console error at ${message.location().url}: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`uncaught exception: ${error.message}`));
      await use();
      expect(problems, 'the page logged errors').toEqual([]);
    },
    { auto: true },
  ],
});

/** `/login?next=<next>` as the server builds it (next form-encoded). */
export function loginURL(next: string): RegExp {
  const encoded = new URLSearchParams({ next }).toString();
  return new RegExp(`/login\\?${encoded.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

/** A URL whose path is exactly `pathname`, with no query string. */
export function exactPath(pathname: string): (url: URL) => boolean {
  return (url) => url.pathname === pathname && url.search === '';
}

/** A URL with exactly this path and query string (`search` includes the "?"). */
export function exactPathAndQuery(pathname: string, search: string): (url: URL) => boolean {
  return (url) => url.pathname === pathname && url.search === search;
}

/** Where signing out lands: `/login?signed_out=1`. */
export const signedOutURL = exactPathAndQuery('/login', '?signed_out=1');

export const codeField = (page: Page): Locator => page.getByLabel('Code', { exact: true });

/** The value of one row of the consent page's details list. */
export function detail(page: Page, term: string): Locator {
  return page.locator(`xpath=//dl/div[dt[normalize-space()="${term}"]]/dd`);
}

/** Asserts the sign-in page is shown. */
export async function expectSignInPage(page: Page): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Sign in', exact: true })).toBeVisible();
  await expect(page.getByLabel('Username', { exact: true })).toBeVisible();
  await expect(page.getByLabel('Password', { exact: true })).toBeVisible();
}

/**
 * Asserts the page after signing out: the sign-in form with the "You have
 * signed out." notice, no device notice, and no account menu.
 */
export async function expectSignedOutPage(page: Page): Promise<void> {
  await expect(page).toHaveURL(signedOutURL);
  await expectSignInPage(page);
  await expect(page.getByRole('status')).toHaveText(MESSAGES.signedOut);
  await expect(page.getByText(MESSAGES.signInNotice)).toHaveCount(0);
  await expect(page.getByRole('banner')).not.toContainText('Signed in as');
  await expect(page.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
}

/** Fills in and submits the sign-in form (the page must show it). */
export async function signIn(page: Page, user: { username: string; password: string } = ADMIN): Promise<void> {
  await expectSignInPage(page);
  await page.getByLabel('Username', { exact: true }).fill(user.username);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Asserts the empty or pre-filled code entry page is shown. */
export async function expectCodeEntry(page: Page): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Connect a device', exact: true })).toBeVisible();
  await expect(codeField(page)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Continue', exact: true })).toBeVisible();
}

/** Opens /device signed out, signs in and checks it lands back on /device. */
export async function openDevicePageSignedIn(page: Page): Promise<void> {
  await page.goto('/device');
  await expect(page).toHaveURL(loginURL('/device'));
  await signIn(page);
  await expect(page).toHaveURL(exactPath('/device'));
  await expectCodeEntry(page);
}

export const consentHeading = (page: Page): Locator =>
  page.getByRole('heading', { name: `Authorize ${CLI_CLIENT_NAME}?`, exact: true });

/** Asserts the consent view for `userCode` is shown, with its title. */
export async function expectConsent(page: Page, userCode: string): Promise<void> {
  await expect(consentHeading(page)).toBeVisible();
  await expect(page.getByTestId('consent-code')).toHaveText(userCode);
  await expect(page.getByRole('button', { name: 'Approve', exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Deny', exact: true })).toBeVisible();
  await expect(page).toHaveTitle(CONSENT_TITLE);
}

/**
 * Asserts where focus went after Continue swapped in the consent view: the
 * question itself (h1, tabindex=-1, autofocus), so keyboard and screen
 * reader users start there.
 */
export async function expectFocusOnConsentHeading(page: Page): Promise<void> {
  const heading = consentHeading(page);
  await expect(heading).toBeFocused();
  await expect(heading).toHaveAttribute('tabindex', '-1');
}

/** Types `text` into the code field key by key (app.js reacts to input events). */
export async function typeCode(page: Page, text: string): Promise<void> {
  const field = codeField(page);
  await field.fill('');
  await field.pressSequentially(text);
}

/** Clicks Continue on the code entry form. */
export async function submitCode(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
}

/**
 * Marks the current document, so a test can check later that htmx swapped
 * content in place instead of loading a new page (a plain POST /device
 * fallback would keep the same URL, so the URL alone proves nothing).
 */
export async function markDocument(page: Page): Promise<() => Promise<boolean>> {
  const token = `e2e-${Math.random().toString(36).slice(2)}`;
  await page.evaluate((t) => ((window as any).__e2eMark = t), token);
  return () => page.evaluate((t) => (window as any).__e2eMark === t, token);
}

/** A code that looks like `code` but is not it: the last letter changed (a typo). */
export function typo(code: string): string {
  const last = code[code.length - 1];
  return code.slice(0, -1) + (last === 'B' ? 'C' : 'B');
}

/** The horizontal overflow check for narrow screens. */
export async function expectNoHorizontalScroll(page: Page, width: number): Promise<void> {
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(scrollWidth, `page ${page.url()} scrolls horizontally`).toBeLessThanOrEqual(width);
}

/**
 * Connects a device (the CLI client) for the signed-in person: it asks
 * for a code, the person enters and approves it, the device polls. Its
 * token answer (status and JSON).
 */
export async function connectDevice(page: Page, request: APIRequestContext): Promise<Awaited<ReturnType<typeof pollToken>>> {
  const dc = await requestDeviceCode(request);
  await page.goto('/device');
  await expectCodeEntry(page);
  await typeCode(page, dc.user_code);
  await submitCode(page);
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page).toHaveURL(exactPath('/device/approved'));
  return pollToken(request, dc.device_code);
}
