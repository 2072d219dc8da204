// Expired codes, against a server of its own whose codes live 10 s (the
// shortest DEVICE_CODE_EXPIRATION it accepts; the shared server uses 30 min).
import { startServer, stopServer, type RunningServer } from '../server';
import {
  MESSAGES,
  codeField,
  exactPath,
  expect,
  expectCodeEntry,
  expectConsent,
  openDevicePageSignedIn,
  submitCode,
  test as base,
  typeCode,
} from '../fixtures';
import { pollToken, requestDeviceCode, shot } from '../support';

const EXPIRATION_SECS = 10;

// `page` and `device` follow `baseURL`, so both talk to this server.
const test = base.extend<{ shortServer: RunningServer }>({
  shortServer: async ({}, use) => {
    const server = await startServer({
      name: 'server-short-expiry',
      env: { DEVICE_CODE_EXPIRATION: `${EXPIRATION_SECS}s` },
    });
    try {
      await use(server);
    } finally {
      await stopServer(server);
    }
  },
  baseURL: async ({ shortServer }, use) => {
    await use(shortServer.info.baseURL);
  },
});

test('an expired code: inline error on entry, "Code expired" after a late decision, expired_token for the device', async ({
  page,
  device,
  baseURL,
  shortServer,
}) => {
  test.setTimeout(60_000);
  expect(baseURL).toBe(shortServer.info.baseURL);

  await openDevicePageSignedIn(page);
  // Two codes: one whose consent page is left open, one typed in late.
  const decidedLate = await requestDeviceCode(device);
  const typedLate = await requestDeviceCode(device);
  const issuedAt = Date.now();
  expect(decidedLate.expires_in).toBe(EXPIRATION_SECS);
  expect(typedLate.expires_in).toBe(EXPIRATION_SECS);

  await typeCode(page, decidedLate.user_code);
  await submitCode(page);
  await expectConsent(page, decidedLate.user_code);

  // The expiry wait: the server counts whole seconds from issue, so both
  // codes are dead `expires_in` seconds after the responses arrived.
  const deadline = issuedAt + EXPIRATION_SECS * 1000 + 500;
  await page.waitForTimeout(Math.max(0, deadline - Date.now()));

  const polled = await pollToken(device, decidedLate.device_code);
  expect(polled.status, JSON.stringify(polled.json)).toBe(400);
  expect(polled.json.error).toBe('expired_token');

  // Approving the consent page left open too long.
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page).toHaveURL(exactPath('/device/expired'));
  const main = page.getByRole('main');
  await expect(page.getByRole('heading', { name: 'Code expired', exact: true })).toBeVisible();
  await expect(main).toContainText('Start again on your device to get a new code.');
  await expect(main.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await shot(page, 'expired-result');

  // Typing a code that has expired meanwhile.
  await main.getByRole('link', { name: 'Authorize another device' }).click();
  await expect(page).toHaveURL(exactPath('/device'));
  await expectCodeEntry(page);
  await typeCode(page, typedLate.user_code);
  await submitCode(page);
  const field = codeField(page);
  await expect(page.getByRole('alert')).toHaveText(MESSAGES.expiredCode);
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  await expect(field).toBeFocused();
  await expect(field).toHaveValue(typedLate.user_code);
  await shot(page, 'expired-code');

  // Nobody approved it in time: its device hears expired_token too.
  const after = await pollToken(device, typedLate.device_code);
  expect(after.status, JSON.stringify(after.json)).toBe(400);
  expect(after.json.error).toBe('expired_token');
});
