// A machine client, unmodified certified library: `oauth4webapi` registers
// nothing itself; an operator adds the client with `authgate client add
// --jwks-file` (its public key only), and the library then gets a token
// with the client credentials grant, authenticating with private_key_jwt
// (an ES256 key made here with WebCrypto). The access token passes the
// library's RFC 9068 validator (typ at+jwt, signature from the JWK Set,
// iss, aud, exp, sub, client_id, jti), and an assertion sent a second time
// is refused. `allowInsecureRequests`: the server is plain http on 127.0.0.1.
//
// DPoP (RFC 9449) with the same library: a device flow of the CLI client
// whose token requests carry proofs of a key made here, a refresh with the
// same key, the access token's cnf.jkt matching the key's thumbprint, and
// a proof sent a second time refused.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as oauth from 'oauth4webapi';
import { codeField, exactPath, expect, signIn, test } from '../fixtures';
import { CLI_CLIENT_ID } from '../support';
import { authgate, startServer, stopServer, type RunningServer } from '../server';

let server: RunningServer;

test.beforeAll(async () => {
  server = await startServer({ name: 'machine-clients' });
});

test.afterAll(async () => {
  if (server) await stopServer(server);
});


test('oauth4webapi gets a machine token with private_key_jwt and validates it', async () => {
  const insecure = { [oauth.allowInsecureRequests]: true };
  const { privateKey, publicKey } = (await crypto.subtle.generateKey(
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
  const jwk = { ...(await crypto.subtle.exportKey('jwk', publicKey)), kid: 'job-key-1', alg: 'ES256', use: 'sig' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authgate-jwks-'));
  const jwksFile = path.join(dir, 'jwks.json');
  fs.writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
  const added = authgate(server, [
    'client', 'add', 'Nightly job', '--jwks-file', jwksFile,
    '--grant-type', 'client_credentials', '--scopes', 'reports:read',
  ]);
  expect(added).toContain('token_endpoint_auth_method: private_key_jwt');
  expect(added).not.toContain('client_secret');
  const clientId = /client_id: (\S+)/.exec(added)![1];

  const issuer = new URL(server.info.baseURL);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
  expect(as.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
  const client: oauth.Client = { client_id: clientId };
  const auth = oauth.PrivateKeyJwt({ key: privateKey, kid: 'job-key-1' });

  // Keep what the library sent, to send it again afterwards.
  let sentBody = '';
  const capture = {
    ...insecure,
    [oauth.customFetch]: async (url: string, init: RequestInit) => {
      sentBody = String(init.body);
      return fetch(url, init);
    },
  };
  const response = await oauth.clientCredentialsGrantRequest(
    as, client, auth, new URLSearchParams({ scope: 'reports:read' }), capture,
  );
  const tokens = await oauth.processClientCredentialsResponse(as, client, response);
  expect(tokens.token_type).toBe('bearer');
  expect(tokens.scope).toBe('reports:read');
  expect(tokens.refresh_token).toBeUndefined();
  expect(sentBody).toContain('client_assertion=');

  // A resource server checks the token locally, as RFC 9068 says.
  const apiRequest = new Request(`${server.info.baseURL}/reports`, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  const claims = await oauth.validateJwtAccessToken(as, apiRequest, server.info.baseURL, insecure);
  expect(claims.sub).toBe(clientId);
  expect(claims.client_id).toBe(clientId);
  expect(claims.scope).toBe('reports:read');

  // The same assertion a second time: refused, nothing issued.
  const replay = await fetch(as.token_endpoint!, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: sentBody,
  });
  expect(replay.status).toBe(400);
  expect((await replay.json()).error).toBe('invalid_client');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('oauth4webapi completes a DPoP-bound device flow and refresh', async ({ page }) => {
  const insecure = { [oauth.allowInsecureRequests]: true };
  const issuer = new URL(server.info.baseURL);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
  expect(as.dpop_signing_alg_values_supported).toContain('ES256');
  const client: oauth.Client = { client_id: CLI_CLIENT_ID };
  const auth = oauth.None();
  const dpop = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
  const jkt = await dpop.calculateThumbprint();

  const started = await oauth.processDeviceAuthorizationResponse(
    as, client, await oauth.deviceAuthorizationRequest(as, client, auth, new URLSearchParams(), insecure),
  );
  // The person approves in the browser.
  await page.goto(`${server.info.baseURL}/device`);
  await signIn(page);
  await expect(page).toHaveURL(exactPath('/device'));
  await codeField(page).pressSequentially(started.user_code);
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page).toHaveURL(exactPath('/device/approved'));

  // Keep what the library sent, to send it again afterwards.
  let sent: { body: string; proof: string } = { body: '', proof: '' };
  const capture = {
    ...insecure,
    DPoP: dpop,
    [oauth.customFetch]: async (url: string, init: RequestInit) => {
      sent = { body: String(init.body), proof: new Headers(init.headers).get('dpop') ?? '' };
      return fetch(url, init);
    },
  };
  const tokens = await oauth.processDeviceCodeResponse(
    as, client, await oauth.deviceCodeGrantRequest(as, client, auth, started.device_code, capture),
  );
  expect(tokens.token_type).toBe('dpop');
  expect(sent.proof).not.toBe('');
  const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString());
  expect(claims.cnf.jkt).toBe(jkt);

  // The proof a second time: refused before anything else is looked at.
  const replay = await fetch(as.token_endpoint!, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: sent.proof },
    body: sent.body,
  });
  expect(replay.status).toBe(400);
  expect((await replay.json()).error).toBe('invalid_dpop_proof');

  // The refresh token is bound: without a proof it is refused, with one
  // of the same key it works and the new token is bound as well.
  const bare = await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, insecure);
  expect(bare.status).toBe(400);
  expect((await bare.json()).error).toBe('invalid_grant');
  const renewed = await oauth.processRefreshTokenResponse(
    as, client, await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, { ...insecure, DPoP: dpop }),
  );
  expect(renewed.token_type).toBe('dpop');
  const renewedClaims = JSON.parse(Buffer.from(renewed.access_token.split('.')[1], 'base64url').toString());
  expect(renewedClaims.cnf.jkt).toBe(jkt);
});
