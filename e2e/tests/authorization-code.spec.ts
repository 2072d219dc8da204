// Sign-in for apps in a real browser: an administrator registers a public
// client with a loopback redirect URI, the app (a small HTTP server on
// 127.0.0.1, any port) sends the person to /oauth/authorize with PKCE, the
// person signs in and approves, the browser lands on the app with a code,
// state and iss — past the consent page's CSP `form-action`, which Chromium
// applies to the redirect after the form's POST — and the code works once.
import crypto from 'node:crypto';
import { expect, signIn, test } from '../fixtures';
import { shot, startApp, tokenInfo } from '../support';

test('an app signs a person in with the authorization code grant and PKCE', async ({ page, request, baseURL }) => {
  // An administrator registers the app.
  await page.goto('/admin/clients/new');
  await signIn(page);
  await page.getByLabel('Name', { exact: true }).fill('Photo app');
  await page.getByLabel('Redirect URIs', { exact: true }).fill('http://127.0.0.1/callback');
  await page.getByRole('button', { name: 'Create client' }).click();
  await expect(page.getByRole('heading', { name: 'Client "Photo app" created' })).toBeVisible();
  const clientId = (await page.getByTestId('secret-0').textContent())!.trim();
  await page.getByRole('button', { name: 'Sign out' }).first().click();

  const app = await startApp('Back in the app');
  try {
    const redirectUri = `http://127.0.0.1:${app.port}/callback`;
    const verifier = crypto.randomBytes(32).toString('base64url');
    const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
    const state = crypto.randomBytes(8).toString('hex');
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: 'read',
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });

    // Signed out: sign-in first, then back to the consent page.
    await page.goto(`/oauth/authorize?${query}`);
    await expect(page.getByText('Sign in to continue to the application that sent you here.')).toBeVisible();
    await signIn(page);
    await expect(page.getByRole('heading', { name: 'Sign in to Photo app?' })).toBeVisible();
    await expect(page.getByTestId('returns-to')).toHaveText(`127.0.0.1:${app.port}`);
    await expect(page.getByText('Read your data')).toBeVisible();
    await shot(page, 'authorize-consent');

    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await page.waitForURL((url) => url.origin === `http://127.0.0.1:${app.port}`);
    await expect(page.getByRole('heading', { name: 'Back in the app' })).toBeVisible();
    const back = new URL(page.url());
    expect(back.pathname).toBe('/callback');
    expect(back.searchParams.get('state')).toBe(state);
    expect(back.searchParams.get('iss')).toBe(baseURL);
    const code = back.searchParams.get('code')!;
    expect(code.length).toBeGreaterThanOrEqual(22);

    const exchange = () =>
      request.post('/oauth/token', {
        form: {
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          client_id: clientId,
          code_verifier: verifier,
        },
      });
    const first = await exchange();
    expect(first.status(), await first.text()).toBe(200);
    const tokens = await first.json();
    expect(tokens.token_type).toBe('Bearer');
    expect((await tokenInfo(request, tokens.access_token)).json.client_id).toBe(clientId);

    // Used twice: refused, and the first tokens are revoked.
    const second = await exchange();
    expect(second.status()).toBe(400);
    expect((await second.json()).error).toBe('invalid_grant');
    expect((await tokenInfo(request, tokens.access_token)).status).toBe(401);
  } finally {
    await app.close();
  }
});
