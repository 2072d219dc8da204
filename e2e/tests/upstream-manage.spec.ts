// Managing upstream sign-in in a real browser. The provider is a second
// AuthGate reached as "localhost" (see upstream.spec.ts); the app is its
// own server on 127.0.0.1 with the provider added by `authgate provider
// add`. A person signed in with their password links their provider
// account from /account; then an administrator disables the provider on
// its dashboard page while someone is at the provider: the button goes
// from /login and the callback is refused. Screenshots of /account with
// the Link button and of the provider's dashboard page, phone-sized and
// desktop.
import { expect, signIn, test } from '../fixtures';
import { shot } from '../support';
import { authgate, startServer, stopServer, type RunningServer } from '../server';

const LOCAL = { username: 'erin', password: 'erin-local-password' };
const UPSTREAM = { username: 'erin-corp', password: 'erin-upstream-password' };
// Someone else at the provider, whose consent to the app is not remembered.
const OTHER = { username: 'finn-corp', password: 'finn-upstream-password' };


let provider: RunningServer;
let app: RunningServer;

test.beforeAll(async () => {
  provider = await startServer({ name: 'manage-provider', host: 'localhost' });
  app = await startServer({ name: 'manage-app' });
  const callback = `${app.info.baseURL}/login/upstream/corp/callback`;
  const client = authgate(provider, [
    'client', 'add', 'AuthGate app', '--confidential', '--scopes', 'openid profile email',
    '--redirect-uri', callback, '--grant-type', 'authorization_code',
  ]);
  const clientId = /client_id: (\S+)/.exec(client)![1];
  const secret = /client_secret: (\S+)/.exec(client)![1];
  for (const person of [UPSTREAM, OTHER]) {
    authgate(provider, ['user', 'add', person.username, '--password-stdin'], `${person.password}\n`);
  }
  authgate(app, ['user', 'add', LOCAL.username, '--password-stdin'], `${LOCAL.password}\n`);
  authgate(
    app,
    ['provider', 'add', 'corp', '--issuer', provider.info.baseURL, '--client-id', clientId,
      '--client-secret-stdin', '--label', 'Corp'],
    `${secret}\n`,
  );
});

test.afterAll(async () => {
  if (app) await stopServer(app);
  if (provider) await stopServer(provider);
});

/** At the provider: its sign-in form, then its consent. */
async function approveAtProvider(
  page: import('@playwright/test').Page,
  who: { username: string; password: string } = UPSTREAM,
): Promise<void> {
  await expect(page).toHaveURL(new RegExp(`^${provider.info.baseURL}/login`));
  await page.getByLabel('Username', { exact: true }).fill(who.username);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
}

test('a signed-in person links their provider account from /account', async ({ page }) => {
  await page.goto(`${app.info.baseURL}/account`);
  await signIn(page, LOCAL);
  await expect(page).toHaveURL(`${app.info.baseURL}/account`);
  const link = page.getByRole('button', { name: 'Link Corp', exact: true });
  await expect(link).toBeVisible();
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    await shot(page, `upstream-link-${width}`);
  }
  await link.click();
  await approveAtProvider(page);

  // Back on /account, still erin, with the link listed and no button.
  await expect(page).toHaveURL(`${app.info.baseURL}/account?linked=1`);
  await expect(page.getByText('Linked. You can now sign in with that account too.')).toBeVisible();
  const linked = page.getByRole('list', { name: 'Linked sign-in accounts' });
  await expect(linked).toContainText('Corp');
  await expect(page.getByRole('button', { name: 'Link Corp', exact: true })).toHaveCount(0);
  await expect(page.getByText(LOCAL.username).first()).toBeVisible();
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    await shot(page, `upstream-linked-${width}`);
  }
  // With a password, the link may go again.
  await linked.getByRole('button', { name: 'Unlink' }).click();
  await expect(page).toHaveURL(`${app.info.baseURL}/account?unlinked=1`);
});

test('an administrator disables the provider in the dashboard: no button, callback refused', async ({ page, browser }) => {
  // Someone starts signing in with Corp and reaches the provider. (Their
  // browser logs the refused callback's 404, so it is not the guarded page.)
  const someone = await browser.newContext();
  const person = await someone.newPage();
  await person.goto(`${app.info.baseURL}/login`);
  await person.getByRole('link', { name: 'Sign in with Corp' }).click();
  await expect(person).toHaveURL(new RegExp(`^${provider.info.baseURL}/login`));

  // Meanwhile an administrator disables it on its page.
  await page.goto(`${app.info.baseURL}/admin/providers`);
  await signIn(page);
  await page.getByRole('link', { name: 'Corp', exact: true }).click();
  await expect(page).toHaveURL(/\/admin\/providers\/corp$/);
  await expect(page.getByLabel('Issuer URL')).toHaveValue(provider.info.baseURL);
  await expect(page.getByLabel('New client secret')).toHaveValue('');
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await shot(page, `upstream-provider-page-${width}`);
  }
  await page.getByRole('button', { name: 'Disable provider' }).click();
  await expect(page.getByText('Provider disabled')).toBeVisible();

  // The sign-in comes back: refused, and the button is gone.
  await approveAtProvider(person, OTHER);
  await expect(person).toHaveURL(new RegExp(`^${app.info.baseURL}/login/upstream/corp/callback`));
  await expect(person.getByRole('heading', { level: 1 })).toContainText(/not found/i);
  await person.goto(`${app.info.baseURL}/login`);
  await expect(person.getByLabel('Username', { exact: true })).toBeVisible();
  await expect(person.getByRole('link', { name: 'Sign in with Corp' })).toHaveCount(0);
  await someone.close();
});
