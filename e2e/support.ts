// Helpers shared by the end-to-end specs.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test, type APIRequestContext, type Page } from '@playwright/test';

/** The administrator global-setup.ts creates on first start. */
export const ADMIN = { username: 'admin', password: 'e2e-admin-password' } as const;

/** client_id of the public CLI client global-setup.ts creates. */
export const CLI_CLIENT_ID = 'e2e-cli';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** RFC 8628 §3.2 device authorization response. */
export interface DeviceCodeResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** The base URL of the server under test (set by global-setup.ts). */
export function baseURL(): string {
  const url = process.env.E2E_BASE_URL;
  if (!url) throw new Error('E2E_BASE_URL is not set: run the specs through `npm run e2e`');
  return url;
}

/** POST /oauth/device/code as the CLI client; fails the test on a non-200. */
export async function requestDeviceCode(
  request: APIRequestContext,
  scope?: string,
): Promise<DeviceCodeResponse> {
  const form: Record<string, string> = { client_id: CLI_CLIENT_ID };
  if (scope !== undefined) form.scope = scope;
  const res = await request.post('/oauth/device/code', { form });
  if (res.status() !== 200) {
    throw new Error(`POST /oauth/device/code answered ${res.status()}: ${await res.text()}`);
  }
  return (await res.json()) as DeviceCodeResponse;
}

/** One device-code token request (POST /oauth/token); any status is returned. */
export async function pollToken(
  request: APIRequestContext,
  deviceCode: string,
): Promise<{ status: number; json: any }> {
  const res = await request.post('/oauth/token', {
    form: { grant_type: DEVICE_CODE_GRANT, device_code: deviceCode, client_id: CLI_CLIENT_ID },
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = { unparsed: text };
  }
  return { status: res.status(), json };
}

/** Parses a response body as JSON, or keeps the text when it is not JSON. */
async function jsonOrText(res: { text(): Promise<string> }): Promise<any> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return { unparsed: text };
  }
}

/** One refresh_token grant request as the CLI client; any status is returned. */
export async function refreshToken(
  request: APIRequestContext,
  refresh: string,
): Promise<{ status: number; json: any }> {
  const res = await request.post('/oauth/token', {
    form: { grant_type: 'refresh_token', refresh_token: refresh, client_id: CLI_CLIENT_ID },
  });
  return { status: res.status(), json: await jsonOrText(res) };
}

/** GET /oauth/tokeninfo with `Authorization: Bearer <token>`; any status is returned. */
export async function tokenInfo(
  request: APIRequestContext,
  accessToken: string,
): Promise<{ status: number; json: any }> {
  const res = await request.get('/oauth/tokeninfo', {
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  return { status: res.status(), json: await jsonOrText(res) };
}

/** The decoded header and payload of a compact JWS (no verification). */
export function decodeJwt(token: string): { header: any; payload: any; signingInput: string; signature: Buffer } {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error(`not a compact JWS (${parts.length} parts)`);
  const [h, p, s] = parts;
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

/**
 * Verifies an ES256 JWT against a JWK Set: finds the key by `kid` and
 * checks the signature (JWS uses the raw r||s form, IEEE P1363).
 */
export function verifyES256(token: string, jwks: { keys: any[] }): boolean {
  const { header, signingInput, signature } = decodeJwt(token);
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`no key with kid ${header.kid} in the JWK Set`);
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  return crypto.verify('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' }, signature);
}

/**
 * Saves a full-page screenshot to e2e/artifacts/screenshots/<project>-<name>.png
 * (kept after the run, unlike test-results/) and attaches it to the report.
 */
export async function shot(page: Page, name: string): Promise<string> {
  const info = test.info();
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-');
  const file = path.join(__dirname, 'artifacts', 'screenshots', `${info.project.name}-${safe}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await info.attach(`${info.project.name}-${safe}`, { path: file, contentType: 'image/png' });
  return file;
}

/**
 * A pretend application on 127.0.0.1 (any free port): every request gets
 * a small page whose title and heading are `heading`. Redirects to it are
 * where a sign-in ends.
 */
export async function startApp(heading: string): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>${heading}</title><h1>${heading}</h1>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
