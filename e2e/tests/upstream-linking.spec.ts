// Linking an upstream account to an account that already exists, in a real
// browser, without takeovers. The provider (a second AuthGate reached as
// "localhost") is trusted for e-mail. Erin's address is verified at both
// ends: her first sign-in through the provider links to her account at
// once. Finn's address is verified here but not at the provider: the
// provider's word is not enough, so he is asked to sign in with his
// password before the link is made, and until then he is not signed in.
import { expect, test, type Page } from '../fixtures';
import { shot } from '../support';
import { authgate, startServer, stopServer, type RunningServer } from '../server';


/** Adds `username` with `email` (verified or not) and `password` on `server`. */
function addUser(server: RunningServer, username: string, password: string, email: string, verified: boolean) {
  authgate(
    server,
    ['user', 'add', username, '--password-stdin', '--email', email,
      verified ? '--email-verified' : '--email-unverified'],
    `${password}\n`,
  );
}

let provider: RunningServer;
let app: RunningServer;

test.beforeAll(async () => {
  provider = await startServer({ name: 'linking-provider', host: 'localhost' });
  app = await startServer({ name: 'linking-app' });
  const callback = `${app.info.baseURL}/login/upstream/corp/callback`;
  const client = authgate(provider, [
    'client', 'add', 'AuthGate app', '--confidential', '--scopes', 'openid profile email',
    '--redirect-uri', callback, '--grant-type', 'authorization_code',
  ]);
  const clientId = /client_id: (\S+)/.exec(client)![1];
  const secret = /client_secret: (\S+)/.exec(client)![1];
  authgate(
    app,
    ['provider', 'add', 'corp', '--issuer', provider.info.baseURL, '--client-id', clientId,
      '--client-secret-stdin', '--label', 'Corp', '--trust-email'],
    `${secret}\n`,
  );
  addUser(provider, 'erin', 'erin-at-the-provider', 'erin@corp.example', true);
  addUser(app, 'erin', 'erin-local-password', 'erin@corp.example', true);
  addUser(provider, 'finn', 'finn-at-the-provider', 'finn@corp.example', false);
  addUser(app, 'finn', 'finn-local-password', 'finn@corp.example', true);
});

test.afterAll(async () => {
  if (app) await stopServer(app);
  if (provider) await stopServer(provider);
});

/** From the app's /login through the provider's sign-in and consent. */
async function signInThroughProvider(page: Page, username: string, password: string) {
  await page.goto(`${app.info.baseURL}/login?next=/account`);
  await page.getByRole('link', { name: 'Sign in with Corp' }).click();
  await expect(page).toHaveURL(new RegExp(`^${provider.info.baseURL}/login`));
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
}

test('a verified address at a trusted provider links to the same verified account', async ({ page }) => {
  await signInThroughProvider(page, 'erin', 'erin-at-the-provider');
  await expect(page).toHaveURL(`${app.info.baseURL}/account`);
  await expect(page.getByText('erin', { exact: true }).first()).toBeVisible();
  const linked = page.getByRole('list', { name: 'Linked sign-in accounts' });
  await expect(linked).toContainText('Corp');
  // She still has her password, so unlinking is allowed here.
  await linked.getByRole('button', { name: 'Unlink' }).click();
  await expect(page).toHaveURL(/\/account\?unlinked=1/);
  await expect(page.getByRole('list', { name: 'Linked sign-in accounts' }).getByRole('listitem')).toHaveCount(0);
});

test('an unverified address is linked only after the account password', async ({ page }) => {
  await signInThroughProvider(page, 'finn', 'finn-at-the-provider');
  await expect(page.getByRole('heading', { name: 'Sign in to link your account' })).toBeVisible();
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    await shot(page, `upstream-link-needed-${width}`);
  }
  // Not signed in to Finn's account on the provider's word alone.
  const other = await page.context().newPage();
  await other.goto(`${app.info.baseURL}/account`);
  await expect(other).toHaveURL(/\/login\?next=/);
  await other.close();

  await page.getByRole('link', { name: 'Sign in as finn' }).click();
  await expect(page.getByLabel('Username', { exact: true })).toHaveValue('finn');
  await page.getByLabel('Password', { exact: true }).fill('finn-local-password');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Link your Corp account?' })).toBeVisible();
  await page.getByRole('button', { name: 'Link account' }).click();

  await page.goto(`${app.info.baseURL}/account`);
  await expect(page.getByRole('list', { name: 'Linked sign-in accounts' })).toContainText('Corp');
  // Next time the provider alone signs Finn in (still signed in there,
  // his consent remembered: straight back).
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await expect(page).toHaveURL(/\/login\?signed_out/);
  await page.goto(`${app.info.baseURL}/login?next=/account`);
  await page.getByRole('link', { name: 'Sign in with Corp' }).click();
  await expect(page).toHaveURL(`${app.info.baseURL}/account`);
  await expect(page.getByRole('list', { name: 'Linked sign-in accounts' })).toContainText('Corp');
});
