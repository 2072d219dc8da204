// The verification journey on a 360 px wide phone (the `mobile` project
// runs this file because its name contains "mobile"): no page may scroll
// sideways, and the consent buttons must be usable.
import type { Locator, Page } from '@playwright/test';
import {
  CLI_CLIENT_NAME,
  MESSAGES,
  codeField,
  exactPath,
  expect,
  expectConsent,
  expectFocusOnConsentHeading,
  expectNoHorizontalScroll,
  expectSignInPage,
  expectSignedOutPage,
  loginURL,
  signIn,
  submitCode,
  test,
  typeCode,
  typo,
} from '../fixtures';
import { ADMIN, pollToken, requestDeviceCode, shot } from '../support';

const WIDTH = 360;

test.beforeEach(async ({ page }) => {
  expect(page.viewportSize()?.width, 'this spec needs the 360 px mobile project').toBe(WIDTH);
});

/** Checks a page state for sideways scrolling, then saves its screenshot. */
async function check(page: Page, name: string): Promise<void> {
  await expectNoHorizontalScroll(page, WIDTH);
  await shot(page, name);
}

/** The element box, asserted to exist. */
async function box(locator: Locator) {
  const b = await locator.boundingBox();
  expect(b, `${locator} has no box`).not.toBeNull();
  return b!;
}

/** True when nothing covers the centre of the element. */
function isTopmostAtCentre(locator: Locator): Promise<boolean> {
  return locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return hit !== null && (hit === el || el.contains(hit));
  });
}

test('mobile: approving a device at 360 px', async ({ page, device }) => {
  const dc = await requestDeviceCode(device);

  await page.goto(dc.verification_uri);
  await expect(page).toHaveURL(loginURL('/device'));
  await expectSignInPage(page);
  await expect(page.getByRole('status')).toHaveText(MESSAGES.signInNotice);
  await check(page, 'login');

  // A wrong password first, for the error layout.
  await page.getByLabel('Username', { exact: true }).fill(ADMIN.username);
  await page.getByLabel('Password', { exact: true }).fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in', exact: true }).tap();
  await expect(page.getByRole('alert')).toHaveText(MESSAGES.badCredentials);
  await check(page, 'login-error');

  await signIn(page);
  await expect(page).toHaveURL(exactPath('/device'));
  // Below the sm breakpoint the header keeps only the Devices link and the
  // Sign out button.
  const header = page.getByRole('banner');
  await expect(header.getByText('Signed in as')).toBeHidden();
  await expect(header.getByRole('link', { name: 'Devices', exact: true })).toBeInViewport();
  await expect(header.getByRole('button', { name: 'Sign out', exact: true })).toBeInViewport();
  for (const el of [codeField(page), page.getByRole('button', { name: 'Continue', exact: true })]) {
    const b = await box(el);
    expect(b.x).toBeGreaterThanOrEqual(0);
    expect(b.x + b.width).toBeLessThanOrEqual(WIDTH);
  }
  await check(page, 'device-empty');

  await typeCode(page, typo(dc.user_code));
  await submitCode(page);
  await expect(page.getByRole('alert')).toHaveText(MESSAGES.unknownCode);
  await check(page, 'wrong-code');

  await typeCode(page, dc.user_code.replace('-', '').toLowerCase());
  await expect(codeField(page)).toHaveValue(dc.user_code);
  await page.getByRole('button', { name: 'Continue', exact: true }).tap();
  await expectConsent(page, dc.user_code);
  await expectFocusOnConsentHeading(page);
  await check(page, 'consent');

  // Both buttons fully on screen, side by side without overlapping, not
  // covered by anything, and big enough to tap (44 px).
  const deny = page.getByRole('button', { name: 'Deny', exact: true });
  const approve = page.getByRole('button', { name: 'Approve', exact: true });
  await approve.scrollIntoViewIfNeeded();
  await expect(deny).toBeInViewport({ ratio: 1 });
  await expect(approve).toBeInViewport({ ratio: 1 });
  const d = await box(deny);
  const a = await box(approve);
  for (const b of [d, a]) {
    expect(b.x).toBeGreaterThanOrEqual(0);
    expect(b.x + b.width).toBeLessThanOrEqual(WIDTH);
    expect(b.height).toBeGreaterThanOrEqual(44);
    expect(b.width).toBeGreaterThanOrEqual(44);
  }
  const overlap =
    d.x < a.x + a.width && a.x < d.x + d.width && d.y < a.y + a.height && a.y < d.y + d.height;
  expect(overlap, `Deny ${JSON.stringify(d)} overlaps Approve ${JSON.stringify(a)}`).toBe(false);
  expect(await isTopmostAtCentre(deny), 'something covers Deny').toBe(true);
  expect(await isTopmostAtCentre(approve), 'something covers Approve').toBe(true);

  await approve.tap();
  await expect(page).toHaveURL(exactPath('/device/approved'));
  await expect(page.getByRole('heading', { name: 'Device connected', exact: true })).toBeVisible();
  await expect(page.getByRole('main')).toContainText('You can return to your device');
  await check(page, 'approved');

  const { status, json } = await pollToken(device, dc.device_code);
  expect(status, JSON.stringify(json)).toBe(200);
  expect(json.token_type).toBe('Bearer');
});

test('mobile: the pre-filled link, denying, and signing out at 360 px', async ({ page, device }) => {
  const dc = await requestDeviceCode(device);
  await page.goto(dc.verification_uri_complete);
  await signIn(page);
  await expect(page).toHaveURL(dc.verification_uri_complete);
  await expect(codeField(page)).toHaveValue(dc.user_code);
  await expect(page.getByRole('button', { name: 'Continue', exact: true })).toBeFocused();
  await check(page, 'device-prefilled');

  await page.getByRole('button', { name: 'Continue', exact: true }).tap();
  await expectConsent(page, dc.user_code);
  await expectFocusOnConsentHeading(page);
  await page.getByRole('button', { name: 'Deny', exact: true }).tap();
  await expect(page).toHaveURL(exactPath('/device/denied'));
  await expect(page.getByRole('main')).toContainText(`You denied ${CLI_CLIENT_NAME}.`);
  await check(page, 'denied');

  const { status, json } = await pollToken(device, dc.device_code);
  expect(status, JSON.stringify(json)).toBe(400);
  expect(json.error).toBe('access_denied');

  await page.getByRole('main').getByRole('button', { name: 'Sign out', exact: true }).tap();
  await expectSignedOutPage(page);
  await check(page, 'signed-out');
  await page.goto('/device');
  await expect(page).toHaveURL(loginURL('/device'));
});
