// Remembered consent, /account's "Apps you allowed" and RP-initiated
// logout in a real browser: an administrator registers an app (a small
// HTTP server on 127.0.0.1) with a redirect URI and a post-logout URI; the
// person approves it once and the second visit skips the consent page;
// Revoke on /account makes the app's refresh token fail; logging out from
// the app (confirmed on AuthGate's page) returns to the post-logout URI
// with state; a device token obtained earlier keeps passing tokeninfo.
import crypto from 'node:crypto';
import type { APIRequestContext, Page } from '@playwright/test';
import { connectDevice, expect, signIn, test } from '../fixtures';
import { shot, startApp, tokenInfo } from '../support';

/** Desktop and 390 px phone screenshots of the current page. */
async function shots(page: Page, name: string): Promise<void> {
  await shot(page, name);
  const size = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, `${name}-phone`);
  if (size) await page.setViewportSize(size);
}

test('a second visit skips consent, Revoke ends the app, logout returns to the app', async ({ page, request }) => {
  const app = await startApp('Back in the app');
  const origin = `http://127.0.0.1:${app.port}`;
  const redirectUri = `${origin}/callback`;
  const byeUri = `${origin}/bye`;
  try {
    // An administrator registers the app.
    await page.goto('/admin/clients/new');
    await signIn(page);
    await page.getByLabel('Name', { exact: true }).fill('Notes app');
    await page.getByLabel('Redirect URIs', { exact: true }).fill('http://127.0.0.1/callback');
    await page.getByLabel('Post-logout redirect URIs', { exact: true }).fill(byeUri);
    await shots(page, 'client-form-grants');
    await page.getByRole('button', { name: 'Create client' }).click();
    await expect(page.getByRole('heading', { name: 'Client "Notes app" created' })).toBeVisible();
    const clientId = (await page.getByTestId('secret-0').textContent())!.trim();

    // A device (the CLI client) is connected first.
    const device = await connectDevice(page, request);
    expect(device.status).toBe(200);

    const signInToApp = async (expectConsent: boolean) => {
      const verifier = crypto.randomBytes(32).toString('base64url');
      const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
      const query = new URLSearchParams({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: redirectUri,
        scope: 'read',
        state: 'st',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      await page.goto(`/oauth/authorize?${query}`);
      if (expectConsent) {
        await expect(page.getByRole('heading', { name: 'Sign in to Notes app?' })).toBeVisible();
        await page.getByRole('button', { name: 'Approve', exact: true }).click();
      }
      await page.waitForURL((url) => url.origin === origin);
      const back = new URL(page.url());
      expect(back.searchParams.get('state')).toBe('st');
      const res = await request.post('/oauth/token', {
        form: {
          grant_type: 'authorization_code',
          code: back.searchParams.get('code')!,
          redirect_uri: redirectUri,
          client_id: clientId,
          code_verifier: verifier,
        },
      });
      expect(res.status(), await res.text()).toBe(200);
      return (await res.json()) as { access_token: string; refresh_token: string };
    };
    const refresh = (api: APIRequestContext, token: string) =>
      api.post('/oauth/token', {
        form: { grant_type: 'refresh_token', refresh_token: token, client_id: clientId },
      });

    await signInToApp(true);
    // The second visit goes straight back with a code.
    const second = await signInToApp(false);
    expect((await refresh(request, second.refresh_token)).status()).toBe(200);

    // /account lists the app; Revoke ends it.
    await page.goto('/account');
    const apps = page.getByRole('list', { name: 'Apps you allowed' });
    await expect(apps).toContainText('Notes app');
    await expect(apps).toContainText('Read your data');
    await shots(page, 'account-apps');
    await apps.getByRole('button', { name: 'Revoke', exact: true }).click();
    await expect(page.getByText('App access revoked.')).toBeVisible();
    const after = await refresh(request, second.refresh_token);
    expect(after.status()).toBe(400);
    expect((await after.json()).error).toBe('invalid_grant');

    // Consent is asked again; then the app signs the person out.
    const third = await signInToApp(true);
    await page.goto(`/oauth/logout?${new URLSearchParams({ client_id: clientId, post_logout_redirect_uri: byeUri, state: 'bye-state' })}`);
    await expect(page.getByRole('heading', { name: 'Sign out?' })).toBeVisible();
    await shots(page, 'logout-confirm');
    await page.getByRole('button', { name: 'Sign out', exact: true }).last().click();
    await page.waitForURL((url) => url.origin === origin);
    const bye = new URL(page.url());
    expect(bye.pathname).toBe('/bye');
    expect(bye.searchParams.get('state')).toBe('bye-state');
    expect((await refresh(request, third.refresh_token)).status()).toBe(400);
    // The device token obtained earlier still works.
    expect((await tokenInfo(request, device.json.access_token)).status).toBe(200);

    // Signed out for real: the account page asks for sign-in.
    await page.goto('/account');
    await expect(page.getByLabel('Password', { exact: true })).toBeVisible();
    await page.goto('/oauth/logout');
    await expect(page.getByRole('heading', { name: 'You are signed out' })).toBeVisible();
    await shots(page, 'signed-out');
  } finally {
    await app.close();
  }
});
