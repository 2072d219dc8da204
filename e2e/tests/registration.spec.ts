// Dynamic client registration with an administrator's approval: an
// MCP-style client registers itself with fetch (public, a loopback
// redirect URI, token_endpoint_auth_method none) on a server started with
// REGISTRATION=open; while it waits, the authorization endpoint shows a
// page instead of sending the person to it; an administrator finds it at
// the top of /admin/clients and approves it by clicking; then the client,
// unmodified oauth4webapi, completes the authorization code grant with
// PKCE and an RFC 8707 resource (the MCP server it is for, allowed at the
// approval) while a person approves in the browser. Screenshots at 390 and
// 1280 px wide.
import * as oauth from 'oauth4webapi';
import { expect, signIn, test } from '../fixtures';
import { shot, startApp } from '../support';
import { startServer, stopServer, type RunningServer } from '../server';

let server: RunningServer;

test.beforeAll(async () => {
  server = await startServer({ name: 'registration', env: { REGISTRATION: 'open' } });
});

test.afterAll(async () => {
  if (server) await stopServer(server);
});

async function both(page: import('@playwright/test').Page, name: string): Promise<void> {
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, `${name}-390`);
  await page.setViewportSize({ width: 1280, height: 800 });
  await shot(page, `${name}-1280`);
}

test('a client registers itself, an administrator approves it, and it signs a person in', async ({ page }) => {
  const base = server.info.baseURL;
  const insecure = { [oauth.allowInsecureRequests]: true };
  const issuer = new URL(base);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
  expect(as.registration_endpoint).toBe(`${base}/oauth/register`);

  const app = await startApp('Back in the agent');
  try {
    const redirectUri = `http://127.0.0.1:${app.port}/callback`;
    const mcpServer = 'https://mcp.example/api';
    // The client registers itself, as MCP clients do.
    const registered = await fetch(as.registration_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'MCP agent',
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        scope: 'read',
        software_id: 'mcp-agent',
        software_version: '0.9.1',
      }),
    });
    expect(registered.status).toBe(201);
    const info = await registered.json();
    expect(info.status).toBe('pending');
    expect(info.client_secret).toBeUndefined();
    const client: oauth.Client = { client_id: info.client_id, token_endpoint_auth_method: 'none' };

    const verifier = oauth.generateRandomCodeVerifier();
    const challenge = await oauth.calculatePKCECodeChallenge(verifier);
    const state = oauth.generateRandomState();
    const authorize = new URL(as.authorization_endpoint!);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: redirectUri,
      scope: 'read',
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      resource: mcpServer,
    })) authorize.searchParams.set(k, v);

    // While it waits: an error page, never the way back to the client
    // (fetched, not browsed: the console guard counts a page's 400).
    const waiting = await fetch(authorize.href, { redirect: 'manual' });
    expect(waiting.status).toBe(400);
    expect(waiting.headers.get('location')).toBeNull();
    expect(await waiting.text()).toContain('waiting for an administrator\'s approval');

    // The administrator approves it in the dashboard.
    await page.goto(`${base}/admin/clients`);
    await signIn(page);
    await expect(page.getByTestId('pending-clients')).toContainText('1');
    const firstRow = page.getByRole('row').nth(1);
    await expect(firstRow).toContainText('MCP agent');
    await expect(firstRow).toContainText('Pending approval');
    await both(page, 'registration-clients');
    await firstRow.getByRole('link', { name: 'MCP agent' }).click();
    const registration = page.getByTestId('registration');
    await expect(registration).toContainText('mcp-agent 0.9.1');
    await expect(registration).toContainText(redirectUri);
    await both(page, 'registration-client');
    await page.getByLabel('Resources its tokens may be for (optional)').fill(mcpServer);
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await expect(page.getByText('Client approved.')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Approve', exact: true })).toHaveCount(0);

    // Now the person approves, and the client redeems with PKCE.
    await page.goto(authorize.href);
    await expect(page.getByRole('heading', { name: 'Sign in to MCP agent?' })).toBeVisible();
    await expect(page.getByTestId('resources')).toContainText('mcp.example');
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await page.waitForURL((url) => url.origin === `http://127.0.0.1:${app.port}`);
    await expect(page.getByRole('heading', { name: 'Back in the agent' })).toBeVisible();
    const params = oauth.validateAuthResponse(as, client, new URL(page.url()), state);
    const response = await oauth.authorizationCodeGrantRequest(
      as, client, oauth.None(), params, redirectUri, verifier,
      { ...insecure, additionalParameters: { resource: mcpServer } },
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('read');
    // The MCP server checks the token locally: it is for that server.
    const call = new Request(mcpServer, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    const claims = await oauth.validateJwtAccessToken(as, call, mcpServer, insecure);
    expect(claims.aud).toBe(mcpServer);
    expect(claims.client_id).toBe(client.client_id);
  } finally {
    await app.close();
  }
});
