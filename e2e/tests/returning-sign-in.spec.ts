// A person who approved an application before comes back signed out: the
// application sends them to AuthGate, they sign in, and — consent being
// remembered — land straight back at the application. The sign-in form's
// page forbids posting elsewhere (CSP `form-action 'self'`), and Chromium
// applies that to every redirect after the form is sent, so the way back
// must be a fresh navigation, not a redirect chain from the form.
import crypto from 'node:crypto';
import { expect, test, type Page } from '../fixtures';
import { startApp } from '../support';
import { authgate, startServer, stopServer, type RunningServer } from '../server';

const PERSON = { username: 'rosa', password: 'rosa-returns-password' };
let server: RunningServer;
let app: { port: number; close: () => Promise<void> };
let clientId: string;


test.beforeAll(async () => {
  server = await startServer({ name: 'returning-sign-in' });
  app = await startApp('Back in Notes');
  const added = authgate(server, [
    'client', 'add', 'Notes', '--scopes', 'openid read',
    '--redirect-uri', 'http://127.0.0.1/callback', '--grant-type', 'authorization_code',
  ]);
  clientId = /client_id: (\S+)/.exec(added)![1];
  authgate(server, ['user', 'add', PERSON.username, '--password-stdin'], `${PERSON.password}\n`);
});

test.afterAll(async () => {
  if (app) await app.close();
  if (server) await stopServer(server);
});

function authorizeUrl(): string {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: `http://127.0.0.1:${app.port}/callback`,
    scope: 'openid read',
    state: crypto.randomBytes(8).toString('hex'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  return `${server.info.baseURL}/oauth/authorize?${params}`;
}

async function signIn(page: Page) {
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.getByLabel('Username', { exact: true }).fill(PERSON.username);
  await page.getByLabel('Password', { exact: true }).fill(PERSON.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

test('a returning person signs in and lands back at the application', async ({ page }) => {
  // The first time: sign in, approve.
  await page.goto(authorizeUrl());
  await signIn(page);
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`^http://127\\.0\\.0\\.1:${app.port}/callback\\?code=`));
  await expect(page.getByRole('heading', { name: 'Back in Notes' })).toBeVisible();

  // Signed out of AuthGate, back again: the consent is remembered, so the
  // sign-in alone leads back to the application.
  await page.goto(`${server.info.baseURL}/account`);
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await page.goto(authorizeUrl());
  await signIn(page);
  await expect(page).toHaveURL(new RegExp(`^http://127\\.0\\.0\\.1:${app.port}/callback\\?code=`));
  await expect(page.getByRole('heading', { name: 'Back in Notes' })).toBeVisible();
});
