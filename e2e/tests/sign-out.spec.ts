// Signing out, from the page header and from a result page.
import {
  exactPath,
  expect,
  expectConsent,
  expectSignInPage,
  loginURL,
  openDevicePageSignedIn,
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
  await expect(page).toHaveURL(exactPath('/login'));
  await expectSignInPage(page);
  await expect(page.getByRole('banner')).not.toContainText('Signed in as');
  await expect(page.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
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
  await expect(page).toHaveURL(exactPath('/login'));
  await expectSignInPage(page);

  await page.goto('/device');
  await expect(page).toHaveURL(loginURL('/device'));
  await expectSignInPage(page);
});
