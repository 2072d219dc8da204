// The verification journey in a desktop browser, with the device played
// over HTTP: approve, deny, the pre-filled link, and a mistyped code.
import type { RunningServer } from '../server';
import { authgate, startServer, stopServer } from '../server';
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
  expectFocusOnConsentHeading,
  expectNoHorizontalScroll,
  loginURL,
  markDocument,
  openDevicePageSignedIn,
  signIn,
  submitCode,
  test,
  typeCode,
  typo,
} from '../fixtures';
import {
  CLI_CLIENT_ID,
  decodeJwt,
  pollToken,
  requestDeviceCode,
  shot,
  tokenInfo,
  verifyES256,
} from '../support';

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
  // Focus moves to the question, and the tab title follows the view.
  await expectFocusOnConsentHeading(page);
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

  // The result page is this session's own decision: a reload keeps it, but
  // another outcome's page is not shown (no decision of that kind).
  await page.reload();
  await expect(page).toHaveURL(exactPath('/device/approved'));
  await expect(page.getByRole('heading', { name: 'Device connected', exact: true })).toBeVisible();
  await page.goto('/device/denied');
  await expect(page).toHaveURL(exactPath('/device'));
  await expectCodeEntry(page);

  // The device's next poll gets the token, and the token works.
  const { status, json } = await pollToken(device, dc.device_code);
  expect(status, JSON.stringify(json)).toBe(200);
  expect(json.token_type).toBe('Bearer');
  expect(json.access_token).toEqual(expect.any(String));
  expect(json.access_token.length).toBeGreaterThan(20);
  expect(json.expires_in).toBeGreaterThan(0);
  expect(json.scope).toBe('read write');
  expect(json.refresh_token).toEqual(expect.any(String));
  expect(json.refresh_token.length).toBeGreaterThan(20);
  expect(json.refresh_token).not.toBe(json.access_token);

  // An ES256 JWT whose kid names a key of the published JWK Set.
  const { header, payload } = decodeJwt(json.access_token);
  expect(header.alg).toBe('ES256');
  expect(header.kid).toEqual(expect.any(String));
  const jwks = await (await device.get('/.well-known/jwks.json')).json();
  expect(jwks.keys.map((k: any) => k.kid)).toContain(header.kid);
  expect(verifyES256(json.access_token, jwks), 'the signature verifies with the published key').toBe(true);
  expect(payload.client_id).toBe(CLI_CLIENT_ID);
  expect(payload.scope).toBe('read write');
  expect(payload.iss).toBe(new URL(page.url()).origin);

  const { status: infoStatus, json: info } = await tokenInfo(device, json.access_token);
  expect(infoStatus, JSON.stringify(info)).toBe(200);
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

test('verification_uri_complete pre-fills the code; Enter on the focused Continue reaches consent', async ({
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

  // The person only confirms: Continue has focus (autofocus), the field not.
  const continueButton = page.getByRole('button', { name: 'Continue', exact: true });
  await expect(continueButton).toBeFocused();
  await expect(codeField(page)).not.toBeFocused();
  const isSameDocument = await markDocument(page);
  await page.keyboard.press('Enter');
  await expectConsent(page, dc.user_code);
  await expectFocusOnConsentHeading(page);
  expect(await isSameDocument(), 'Enter submits through htmx too').toBe(true);
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
  await expect(page).toHaveTitle('Connect a device · AuthGate');
  // The message sits directly under the field, above the hint.
  const hint = page.getByText('8 letters, for example BCDF-GHJK.');
  await expect(hint).toBeVisible();
  const fieldBox = (await field.boundingBox())!;
  const errorBox = (await error.boundingBox())!;
  const hintBox = (await hint.boundingBox())!;
  const fieldBottom = fieldBox.y + fieldBox.height;
  expect(errorBox.y, 'error below the field').toBeGreaterThanOrEqual(fieldBottom);
  expect(errorBox.y - fieldBottom, 'error directly under the field').toBeLessThan(16);
  expect(hintBox.y, 'hint below the error').toBeGreaterThanOrEqual(errorBox.y + errorBox.height);
  await shot(page, 'wrong-code');

  await typeCode(page, dc.user_code);
  await submitCode(page);
  await expectConsent(page, dc.user_code);
  await expectFocusOnConsentHeading(page);

  await expect(page).toHaveURL(exactPath('/device'));
  expect(await isSameDocument(), 'the page was not reloaded').toBe(true);
  expect(navigations, 'no navigation of the main frame').toEqual([]);
});

test('result pages show only the session\'s own last decision; a direct visit goes to /device', async ({
  page,
}) => {
  await openDevicePageSignedIn(page);
  for (const outcome of ['approved', 'denied', 'expired']) {
    // The redirect itself: 303 to the code entry page.
    const res = await page.request.get(`/device/${outcome}`, { maxRedirects: 0 });
    expect(res.status(), `GET /device/${outcome}`).toBe(303);
    expect(res.headers()['location']).toBe('/device');

    await page.goto(`/device/${outcome}`);
    await expect(page).toHaveURL(exactPath('/device'));
    await expectCodeEntry(page);
  }
  // An unknown outcome is not a result page at all.
  const unknown = await page.request.get('/device/approvedd', { maxRedirects: 0 });
  expect(unknown.status()).toBe(404);
});

// RFC 8707: a device asks for a token for one API. The client is added
// with its resource on a server of its own (`page` and `device` follow
// `baseURL`); the person sees the API on the consent page, at desktop and
// phone widths, and the device's token names it as its audience. The
// application consent page shows a requested resource the same way.
const ORDERS_API = 'https://orders.example/api';
const withOwnServer = test.extend<{ resourceServer: RunningServer }>({
  resourceServer: async ({}, use, testInfo) => {
    const server = await startServer({ name: `server-resource-${testInfo.project.name}` });
    try {
      await use(server);
    } finally {
      await stopServer(server);
    }
  },
  baseURL: async ({ resourceServer }, use) => {
    await use(resourceServer.info.baseURL);
  },
});

withOwnServer('a device request naming an API: the person sees it, and the token is for it', async ({
  page,
  device,
  resourceServer,
}) => {
  const added = authgate(resourceServer, [
    'client', 'add', 'Orders TV', '--scopes', 'read',
    '--resource', ORDERS_API, '--redirect-uri', 'http://127.0.0.1/cb',
  ]);
  const clientId = /client_id: (\S+)/.exec(added)![1];

  const res = await device.post('/oauth/device/code', { form: { client_id: clientId, resource: ORDERS_API } });
  expect(res.status(), await res.text()).toBe(200);
  const dc = await res.json();

  await page.goto(dc.verification_uri_complete);
  await signIn(page);
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Authorize Orders TV?', exact: true })).toBeVisible();
  await expect(page.getByTestId('consent-code')).toHaveText(dc.user_code);
  const resources = page.getByTestId('resources');
  await expect(resources.getByRole('heading', { name: 'Access to:' })).toBeVisible();
  await expect(resources.getByRole('listitem')).toHaveCount(1);
  await expect(resources.getByRole('listitem')).toContainText('orders.example');
  await expect(resources.getByRole('listitem')).toContainText(ORDERS_API);
  await shot(page, 'consent-resource-1280');
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoHorizontalScroll(page, 390);
  await shot(page, 'consent-resource-390');

  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page).toHaveURL(exactPath('/device/approved'));
  const token = await device.post('/oauth/token', {
    form: { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: dc.device_code, client_id: clientId },
  });
  const json = await token.json();
  expect(token.status(), JSON.stringify(json)).toBe(200);
  expect(decodeJwt(json.access_token).payload.aud).toBe(ORDERS_API);
  const info = await tokenInfo(device, json.access_token);
  expect(info.status).toBe(200);

  // The application consent page lists a requested API alike.
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: 'http://127.0.0.1/cb',
    scope: 'read',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    resource: ORDERS_API,
  });
  await page.goto(`/oauth/authorize?${query}`);
  await expect(page.getByRole('heading', { name: 'Sign in to Orders TV?' })).toBeVisible();
  await expect(page.getByTestId('resources').getByRole('listitem')).toContainText(ORDERS_API);
  await expectNoHorizontalScroll(page, 390);
  await shot(page, 'app-consent-resource-390');
  await page.setViewportSize({ width: 1280, height: 800 });
  await shot(page, 'app-consent-resource-1280');

  // Afterwards /account names the API beside the scopes the device has.
  await page.goto('/account');
  const grant = page
    .getByRole('list', { name: 'Approved applications' })
    .getByRole('listitem')
    .filter({ hasText: 'Orders TV' })
    .first();
  await expect(grant.getByTestId('resources')).toContainText('Access to:');
  await expect(grant.getByTestId('resources')).toContainText(ORDERS_API);
  await shot(page, 'account-resource-1280');
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoHorizontalScroll(page, 390);
  await shot(page, 'account-resource-390');

  // The administrator's token list says which API the token is for.
  await page.goto('/admin/tokens');
  await expect(page.getByText(`for ${ORDERS_API}`)).toBeVisible();
  await expectNoHorizontalScroll(page, 390);
  await shot(page, 'admin-tokens-resource-390');
  await page.setViewportSize({ width: 1280, height: 800 });
  await shot(page, 'admin-tokens-resource-1280');
});
