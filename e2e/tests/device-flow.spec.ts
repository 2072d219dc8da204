// The verification journey in a desktop browser, with the device played
// over HTTP: approve, deny, the pre-filled link, and a mistyped code.
import {
  CLI_CLIENT_NAME,
  DEVICE_NAME,
  MESSAGES,
  codeField,
  detail,
  exactPath,
  expect,
  expectCodeEntry,
  expectConsent,
  loginURL,
  markDocument,
  openDevicePageSignedIn,
  signIn,
  submitCode,
  test,
  typeCode,
  typo,
} from '../fixtures';
import { CLI_CLIENT_ID, pollToken, requestDeviceCode, shot } from '../support';

test('approving a device: sign in, type the code, approve; the device gets a working token', async ({
  page,
  device,
}) => {
  const dc = await requestDeviceCode(device);
  const before = await pollToken(device, dc.device_code);
  expect(before.status, JSON.stringify(before.json)).toBe(400);
  expect(before.json.error).toBe('authorization_pending');

  // The person opens the short address the device shows, signed out.
  await page.goto(dc.verification_uri);
  await expect(page).toHaveURL(loginURL('/device'));
  await expect(page.getByRole('status')).toHaveText(MESSAGES.signInNotice);
  await expect(page).toHaveTitle(/Sign in/);
  await shot(page, 'login');

  await signIn(page);
  await expect(page).toHaveURL(exactPath('/device'));
  await expectCodeEntry(page);
  await expect(page.getByRole('banner')).toContainText('Signed in as admin');
  await expect(codeField(page)).toHaveValue('');
  await expect(codeField(page)).toBeFocused();
  await shot(page, 'device-empty');

  // Lower case, no dash: app.js shows it as XXXX-XXXX while typing.
  const isSameDocument = await markDocument(page);
  await typeCode(page, dc.user_code.replace('-', '').toLowerCase());
  await expect(codeField(page)).toHaveValue(dc.user_code);

  await submitCode(page);
  await expectConsent(page, dc.user_code);
  expect(await isSameDocument(), 'Continue swaps the panel in place (htmx)').toBe(true);
  await expect(page).toHaveURL(exactPath('/device'));
  await expect(detail(page, 'Application')).toHaveText(CLI_CLIENT_NAME);
  await expect(detail(page, 'Device')).toHaveText(DEVICE_NAME);
  await expect(detail(page, 'From address')).toHaveText('127.0.0.1');
  await expect(detail(page, 'Requested')).toHaveText('just now');
  await expect(detail(page, 'Your account')).toHaveText('admin');
  const main = page.getByRole('main');
  await expect(main.getByRole('listitem')).toHaveText([
    /^Read your data\s*\(read\)$/,
    /^Create and change data on your behalf\s*\(write\)$/,
  ]);
  await shot(page, 'consent');

  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page).toHaveURL(exactPath('/device/approved'));
  await expect(page.getByRole('heading', { name: 'Device connected', exact: true })).toBeVisible();
  await expect(main).toContainText(`You approved ${CLI_CLIENT_NAME}.`);
  await expect(main).toContainText('You can return to your device');
  await expect(main.getByRole('link', { name: 'Authorize another device' })).toHaveAttribute('href', '/device');
  await expect(main.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await shot(page, 'approved');

  // The device's next poll gets the token, and the token works.
  const { status, json } = await pollToken(device, dc.device_code);
  expect(status, JSON.stringify(json)).toBe(200);
  expect(json.token_type).toBe('Bearer');
  expect(json.access_token).toEqual(expect.any(String));
  expect(json.access_token.length).toBeGreaterThan(20);
  expect(json.expires_in).toBeGreaterThan(0);
  expect(json.scope).toBe('read write');

  const res = await device.get('/oauth/tokeninfo', {
    headers: { Authorization: `Bearer ${json.access_token}` },
  });
  expect(res.status(), await res.text()).toBe(200);
  const info = await res.json();
  expect(info.active).toBe(true);
  expect(info.username).toBe('admin');
  expect(info.client_id).toBe(CLI_CLIENT_ID);
  expect(info.scope).toBe('read write');
  expect(info.token_type).toBe('Bearer');
});

test('denying a device: the device is told access_denied and the code cannot be reused', async ({
  page,
  device,
}) => {
  const dc = await requestDeviceCode(device);
  await openDevicePageSignedIn(page);
  await typeCode(page, dc.user_code);
  await submitCode(page);
  await expectConsent(page, dc.user_code);

  await page.getByRole('button', { name: 'Deny', exact: true }).click();
  await expect(page).toHaveURL(exactPath('/device/denied'));
  const main = page.getByRole('main');
  await expect(page.getByRole('heading', { name: 'Request denied', exact: true })).toBeVisible();
  await expect(main).toContainText(`You denied ${CLI_CLIENT_NAME}.`);
  await expect(main.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await shot(page, 'denied');

  const { status, json } = await pollToken(device, dc.device_code);
  expect(status, JSON.stringify(json)).toBe(400);
  expect(json.error).toBe('access_denied');

  // "Authorize another device", then the same code again: already used.
  await main.getByRole('link', { name: 'Authorize another device' }).click();
  await expect(page).toHaveURL(exactPath('/device'));
  await expectCodeEntry(page);
  await typeCode(page, dc.user_code);
  await submitCode(page);
  await expect(page.getByRole('alert')).toHaveText(MESSAGES.usedCode);
  await expect(codeField(page)).toHaveAttribute('aria-invalid', 'true');
  await shot(page, 'used-code');
});

test('verification_uri_complete pre-fills the code; one click on Continue reaches consent', async ({
  page,
  device,
}) => {
  const dc = await requestDeviceCode(device);
  const complete = new URL(dc.verification_uri_complete);
  expect(complete.pathname).toBe('/device');
  expect(complete.searchParams.get('user_code')).toBe(dc.user_code);

  await page.goto(dc.verification_uri_complete);
  await expect(page).toHaveURL(loginURL(complete.pathname + complete.search));
  await signIn(page);
  // Back on the same address, with the code in the field.
  await expect(page).toHaveURL(dc.verification_uri_complete);
  await expectCodeEntry(page);
  await expect(codeField(page)).toHaveValue(dc.user_code);
  await expect(page.getByRole('main')).toContainText('Check that this code matches the one shown on your device');
  await shot(page, 'device-prefilled');

  await submitCode(page);
  await expectConsent(page, dc.user_code);
});

test('a mistyped code shows an inline error; the right code then continues without a reload', async ({
  page,
  device,
}) => {
  const dc = await requestDeviceCode(device);
  await openDevicePageSignedIn(page);

  const navigations: string[] = [];
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations.push(frame.url());
  });
  const isSameDocument = await markDocument(page);

  const wrong = typo(dc.user_code);
  await typeCode(page, wrong);
  await submitCode(page);

  const field = codeField(page);
  const error = page.getByRole('alert');
  await expect(error).toHaveText(MESSAGES.unknownCode);
  await expect(field).toHaveValue(wrong);
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  await expect(field).toHaveAccessibleDescription(new RegExp(MESSAGES.unknownCode.replace(/\./g, '\\.')));
  await expect(field).toBeFocused();
  // The message sits under the field, not somewhere else on the page.
  const fieldBox = (await field.boundingBox())!;
  const errorBox = (await error.boundingBox())!;
  expect(errorBox.y).toBeGreaterThanOrEqual(fieldBox.y + fieldBox.height);
  expect(errorBox.y - (fieldBox.y + fieldBox.height)).toBeLessThan(80);
  await shot(page, 'wrong-code');

  await typeCode(page, dc.user_code);
  await submitCode(page);
  await expectConsent(page, dc.user_code);

  await expect(page).toHaveURL(exactPath('/device'));
  expect(await isSameDocument(), 'the page was not reloaded').toBe(true);
  expect(navigations, 'no navigation of the main frame').toEqual([]);
});
