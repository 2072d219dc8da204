// Signing out, from the page header and from a result page.
import {
  MESSAGES,
  exactPath,
  expect,
  expectConsent,
  expectSignInPage,
  expectSignedOutPage,
  loginURL,
  openDevicePageSignedIn,
  signIn,
  submitCode,
  test,
  typeCode,
} from '../fixtures';
import { requestDeviceCode, shot } from '../support';

test('signing out from the header ends the session', async ({ page, browser, baseURL }) => {
  await openDevicePageSignedIn(page);
  const header = page.getByRole('banner');
  await expect(header).toContainText('Signed in as admin');
  // The session cookie as it was before signing out.
  const before = await page.context().storageState();
  expect(before.cookies.length).toBeGreaterThan(0);

  await header.getByRole('button', { name: 'Sign out', exact: true }).click();
  // /login?signed_out=1: the form with a success notice, no device notice.
  await expectSignedOutPage(page);
  await expect(page).toHaveTitle(/Sign in/);
  await shot(page, 'signed-out');

  await page.goto('/device');
  await expect(page).toHaveURL(loginURL('/device'));
  await expectSignInPage(page);

  // The old cookie is worthless too: the session was destroyed server-side.
  const replay = await browser.newContext({ baseURL, storageState: before });
  try {
    const replayed = await replay.newPage();
    await replayed.goto('/device');
    await expect(replayed).toHaveURL(loginURL('/device'));
  } finally {
    await replay.close();
  }
});

test('signing out from a result page ends the session', async ({ page, device }) => {
  const dc = await requestDeviceCode(device);
  await openDevicePageSignedIn(page);
  await typeCode(page, dc.user_code);
  await submitCode(page);
  await expectConsent(page, dc.user_code);
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page).toHaveURL(exactPath('/device/approved'));

  // The card's own button, not the header's.
  await page.getByRole('main').getByRole('button', { name: 'Sign out', exact: true }).click();
  await expectSignedOutPage(page);

  // The result page belonged to the old session.
  await page.goto('/device/approved');
  await expect(page).toHaveURL(loginURL('/device/approved'));
  await expectSignInPage(page);

  await page.goto('/device');
  await expect(page).toHaveURL(loginURL('/device'));
  await expectSignInPage(page);
});

test('signing in again after signing out: the notice does not stick', async ({ page }) => {
  await openDevicePageSignedIn(page);
  await page.getByRole('banner').getByRole('button', { name: 'Sign out', exact: true }).click();
  await expectSignedOutPage(page);

  // Signing in from /login?signed_out=1 goes to the device page as usual.
  await signIn(page);
  await expect(page).toHaveURL(exactPath('/device'));
  await expect(page.getByText(MESSAGES.signedOut)).toHaveCount(0);
});
