// Helpers shared by the end-to-end specs.
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
