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

test('the authorization server metadata lists the endpoints (RFC 8414)', async ({ request, baseURL }) => {
  const res = await request.get('/.well-known/oauth-authorization-server');
  expect(res.status()).toBe(200);
  const meta = await res.json();
  expect(meta.issuer).toBe(baseURL);
  expect(meta.device_authorization_endpoint).toBe(`${baseURL}/oauth/device/code`);
  expect(meta.token_endpoint).toBe(`${baseURL}/oauth/token`);
  expect(meta.revocation_endpoint).toBe(`${baseURL}/oauth/revoke`);
  expect(meta.introspection_endpoint).toBe(`${baseURL}/oauth/introspect`);
  expect(meta.jwks_uri).toBe(`${baseURL}/.well-known/jwks.json`);
  expect(meta.grant_types_supported).toEqual(
    expect.arrayContaining(['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token']),
  );
  expect(meta.scopes_supported).toEqual(expect.arrayContaining(['read', 'write']));
});

test('the JWK Set publishes an ES256 public key with a kid, and no private part', async ({ request }) => {
  const res = await request.get('/.well-known/jwks.json');
  expect(res.status()).toBe(200);
  const jwks = await res.json();
  expect(Array.isArray(jwks.keys)).toBe(true);
  const es256 = jwks.keys.filter((k: any) => k.alg === 'ES256');
  expect(es256.length, JSON.stringify(jwks)).toBeGreaterThan(0);
  for (const key of es256) {
    expect(key.kty).toBe('EC');
    expect(key.crv).toBe('P-256');
    expect(key.kid).toEqual(expect.any(String));
    expect(key.kid.length).toBeGreaterThan(0);
    expect(key.x).toEqual(expect.any(String));
    expect(key.y).toEqual(expect.any(String));
  }
  for (const key of jwks.keys) {
    expect(key, 'a JWK Set must not carry private keys').not.toHaveProperty('d');
  }
});
