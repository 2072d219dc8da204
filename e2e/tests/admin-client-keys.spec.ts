// A signed-JWT machine client set up entirely in the dashboard: the
// administrator pastes the client's public JWK Set on the creation form,
// `oauth4webapi` gets a client-credentials token with private_key_jwt for
// the resource the form allows, and after the administrator replaces the
// keys on the client's page the old key is refused and the new one works.
import type { Page } from '@playwright/test';
import * as oauth from 'oauth4webapi';
import { expect, signIn, test } from '../fixtures';
import { shot } from '../support';
import { startServer, stopServer, type RunningServer } from '../server';

let server: RunningServer;

test.beforeAll(async () => {
  server = await startServer({ name: 'admin-client-keys' });
});

test.afterAll(async () => {
  if (server) await stopServer(server);
});

async function keyPair(kid: string): Promise<{ privateKey: CryptoKey; jwks: string }> {
  const { privateKey, publicKey } = (await crypto.subtle.generateKey(
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
  const jwk = { ...(await crypto.subtle.exportKey('jwk', publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { privateKey, jwks: JSON.stringify({ keys: [jwk] }, null, 2) };
}

async function both(page: Page, name: string): Promise<void> {
  await shot(page, `${name}-desktop`);
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, `${name}-phone`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  expect(overflow, `${name}: no sideways scrolling at 390 px`).toBe(false);
  await page.setViewportSize({ width: 1280, height: 800 });
}

test('an administrator registers a signed-JWT client and replaces its keys', async ({ page }) => {
  const insecure = { [oauth.allowInsecureRequests]: true };
  const resource = 'https://reports.example/api';
  const first = await keyPair('job-1');

  await page.goto(`${server.info.baseURL}/admin/clients/new`);
  await signIn(page);
  await page.getByLabel('Name', { exact: true }).fill('Reports job');
  await page.getByLabel('Allowed scopes', { exact: true }).fill('reports:read');
  await page.getByLabel('Resources', { exact: true }).fill(resource);
  for (const grant of ['Device code', 'Authorization code', 'Refresh token']) {
    await page.getByLabel(grant, { exact: true }).uncheck();
  }
  await page.getByLabel('Client credentials', { exact: true }).check();
  await page.getByLabel('Confidential, signed JWT', { exact: true }).check();

  // Keys that are not a JWK Set are refused at the field, the rest kept.
  await page.getByLabel('Public keys (JWK Set)').fill('{"keys": "none"}');
  await page.getByRole('button', { name: 'Create client' }).click();
  await expect(page.getByLabel('Public keys (JWK Set)')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Reports job');
  await both(page, 'client-form-keys-error');

  await page.getByLabel('Public keys (JWK Set)').fill(first.jwks);
  await page.getByRole('button', { name: 'Create client' }).click();
  await expect(page.getByRole('heading', { name: 'Client "Reports job" created' })).toBeVisible();
  await expect(page.getByTestId('secret-1')).toHaveCount(0);
  const clientId = (await page.getByTestId('secret-0').textContent())!.trim();

  const issuer = new URL(server.info.baseURL);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
  const client: oauth.Client = { client_id: clientId };
  const tokenWith = async (privateKey: CryptoKey, kid: string): Promise<Response> =>
    oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.PrivateKeyJwt({ key: privateKey, kid }),
      new URLSearchParams({ scope: 'reports:read', resource }),
      insecure,
    );
  const tokens = await oauth.processClientCredentialsResponse(as, client, await tokenWith(first.privateKey, 'job-1'));
  const apiRequest = new Request(resource, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  const claims = await oauth.validateJwtAccessToken(as, apiRequest, resource, insecure);
  expect(claims.sub).toBe(clientId);

  // The client's page says how it authenticates and offers its keys.
  await page.getByRole('link', { name: 'Go to the client' }).click();
  await expect(page.getByText('A signed JWT (private_key_jwt), with registered keys')).toBeVisible();
  await page.getByRole('link', { name: 'Replace keys…' }).click();
  await expect(page.getByLabel('Public keys (JWK Set)')).toHaveValue(/job-1/);
  await both(page, 'client-keys');

  const second = await keyPair('job-2');
  await page.getByLabel('Public keys (JWK Set)').fill(second.jwks);
  await page.getByRole('button', { name: 'Replace keys' }).click();
  await expect(page.getByRole('status').first()).toContainText('Keys replaced.');

  const refused = await tokenWith(first.privateKey, 'job-1');
  expect(refused.status).toBe(400);
  expect((await refused.json()).error).toBe('invalid_client');
  const renewed = await oauth.processClientCredentialsResponse(as, client, await tokenWith(second.privateKey, 'job-2'));
  expect(renewed.access_token).toBeTruthy();
});
