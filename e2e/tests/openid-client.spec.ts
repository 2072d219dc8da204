// A certified relying party, unmodified: Node's `openid-client` (built on
// `oauth4webapi`) against AuthGate in a real browser. Discovery, an
// authorization URL with PKCE, state and nonce, sign-in and consent, the
// code exchange with its ID-token checks (signature from the JWK Set, iss,
// aud, nonce, at_hash; the RFC 9207 `iss` of the response), UserInfo, a
// refresh, a denial, and the end-session URL — after which the person's
// device token still works. The library's only concession is
// `allowInsecureRequests`: the suite's server is plain http on 127.0.0.1.
import * as oidc from 'openid-client';
import { connectDevice, expect, signIn, test } from '../fixtures';
import { ADMIN, shot, startApp, tokenInfo } from '../support';

test('openid-client signs a person in, reads UserInfo, refreshes and logs out', async ({ page, request, baseURL }) => {
  const app = await startApp('Back in the wiki');
  const origin = `http://127.0.0.1:${app.port}`;
  const redirectUri = `${origin}/callback`;
  const byeUri = `${origin}/bye`;
  try {
    // An administrator registers the wiki for OpenID Connect and gives
    // themselves a display name on /account.
    await page.goto('/admin/clients/new');
    await signIn(page);
    await page.getByLabel('Name', { exact: true }).fill('Wiki');
    await page.getByLabel('Allowed scopes', { exact: true }).fill('openid profile email read');
    await page.getByLabel('Redirect URIs', { exact: true }).fill('http://127.0.0.1/callback');
    await page.getByLabel('Post-logout redirect URIs', { exact: true }).fill(byeUri);
    await page.getByRole('button', { name: 'Create client' }).click();
    await expect(page.getByRole('heading', { name: 'Client "Wiki" created' })).toBeVisible();
    const clientId = (await page.getByTestId('secret-0').textContent())!.trim();
    await page.goto('/account');
    await page.getByLabel('Display name', { exact: true }).fill('Ada Admin');
    await page.getByRole('button', { name: 'Save name' }).click();
    await expect(page.getByText('Name saved.')).toBeVisible();

    // A device (the CLI client) was connected earlier.
    const device = await connectDevice(page, request);
    expect(device.status).toBe(200);
    await page.getByRole('button', { name: 'Sign out' }).first().click();

    // The relying party discovers AuthGate and starts a sign-in.
    const config = await oidc.discovery(new URL(baseURL!), clientId, undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    const start = async () => {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid profile email read',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      await page.goto(url.href);
      return { verifier, state, nonce };
    };
    const landed = async () => {
      await page.waitForURL((url) => url.origin === origin);
      return new URL(page.url());
    };

    // Signed out: sign in, consent, back to the wiki; the library checks
    // the response's iss and the ID token.
    const first = await start();
    await signIn(page);
    await expect(page.getByRole('heading', { name: 'Sign in to Wiki?' })).toBeVisible();
    await shot(page, 'openid-consent');
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    const tokens = await oidc.authorizationCodeGrant(config, await landed(), {
      pkceCodeVerifier: first.verifier,
      expectedState: first.state,
      expectedNonce: first.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(baseURL);
    expect(claims.aud).toBe(clientId);
    expect(claims.nonce).toBe(first.nonce);
    expect(claims.preferred_username).toBe(ADMIN.username);
    expect(claims.name).toBe('Ada Admin');
    expect(claims.amr).toEqual(['pwd']);
    expect(typeof claims.auth_time).toBe('number');

    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info.sub).toBe(claims.sub);
    expect(info.name).toBe('Ada Admin');
    expect(info.preferred_username).toBe(ADMIN.username);

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.claims()!.sub).toBe(claims.sub);

    // A request for a scope the person has not allowed asks again; a
    // denial reaches the library as access_denied.
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid email read',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      prompt: 'consent',
    });
    await page.goto(url.href);
    await page.getByRole('button', { name: 'Deny', exact: true }).click();
    const denied = await landed();
    await expect(
      oidc.authorizationCodeGrant(config, denied, { pkceCodeVerifier: verifier, expectedState: state }),
    ).rejects.toMatchObject({ error: 'access_denied' });

    // The wiki logs the person out with its ID token as the hint: no
    // question asked, back at the post-logout URI with the state.
    const end = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: byeUri,
      state: 'bye',
    });
    await page.goto(end.href);
    const bye = await landed();
    expect(bye.pathname).toBe('/bye');
    expect(bye.searchParams.get('state')).toBe('bye');
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    expect((await tokenInfo(request, device.json.access_token)).status).toBe(200);
    await page.goto('/account');
    await expect(page.getByLabel('Password', { exact: true })).toBeVisible();
  } finally {
    await app.close();
  }
});
