// The JSON API the CLI uses: health and the start of the device flow.
import { expect, test } from '@playwright/test';
import { pollToken, requestDeviceCode } from '../support';

const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

test('GET /health reports a healthy server and database', async ({ request }) => {
  const res = await request.get('/health');
  expect(res.status()).toBe(200);
  const body = await res.json();
  expect(body.status).toBe('healthy');
  expect(body.database).toBe('connected');
});

test('a device code request returns an RFC 8628 response', async ({ request, baseURL }) => {
  const dc = await requestDeviceCode(request);
  expect(dc.device_code).toEqual(expect.any(String));
  expect(dc.device_code.length).toBeGreaterThan(0);
  expect(dc.user_code).toMatch(USER_CODE);
  expect(Number.isInteger(dc.expires_in)).toBe(true);
  expect(dc.expires_in).toBeGreaterThan(0);
  expect(Number.isInteger(dc.interval)).toBe(true);
  expect(dc.interval).toBeGreaterThan(0);
  expect(dc.verification_uri).toMatch(/\/device$/);
  expect(dc.verification_uri.startsWith(baseURL!)).toBe(true);
});

test('polling a fresh device code answers 400 authorization_pending', async ({ request }) => {
  const dc = await requestDeviceCode(request);
  const { status, json } = await pollToken(request, dc.device_code);
  expect(status).toBe(400);
  expect(json.error).toBe('authorization_pending');
});
