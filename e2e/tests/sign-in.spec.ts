// The sign-in page: keyboard use, focus visibility, wrong credentials, and
// where it sends people afterwards.
import type { Locator } from '@playwright/test';
import {
  MESSAGES,
  exactPath,
  expect,
  expectCodeEntry,
  expectSignInPage,
  signIn,
  test,
} from '../fixtures';
import { ADMIN, shot } from '../support';

/** The styles that can make focus visible. */
function focusStyle(el: Locator) {
  return el.evaluate((node) => {
    const s = getComputedStyle(node);
    return {
      outlineStyle: s.outlineStyle,
      outlineWidth: parseFloat(s.outlineWidth),
      boxShadow: s.boxShadow,
      borderColor: s.borderColor,
    };
  });
}

test('the sign-in form can be completed with Tab and Enter alone, focus always visible', async ({ page }) => {
  await page.goto('/login');
  await expectSignInPage(page);
  const username = page.getByLabel('Username', { exact: true });
  const password = page.getByLabel('Password', { exact: true });
  const button = page.getByRole('button', { name: 'Sign in', exact: true });
  const resting = await focusStyle(password);

  // The username field has focus from the start (autofocus).
  await expect(username).toBeFocused();
  await page.keyboard.type(ADMIN.username);
  await page.keyboard.press('Tab');
  await expect(password).toBeFocused();

  // A focused field looks different from a resting one: an outline, or
  // failing that a focus ring (box-shadow).
  const focused = await focusStyle(password);
  const hasOutline = focused.outlineStyle !== 'none' && focused.outlineWidth > 0;
  const hasRing = focused.boxShadow !== 'none' && focused.boxShadow !== resting.boxShadow;
  expect(hasOutline || hasRing, `no focus indicator on the password field: ${JSON.stringify(focused)}`).toBe(true);

  await page.keyboard.type(ADMIN.password);
  await page.keyboard.press('Tab');
  await expect(button).toBeFocused();
  const buttonFocus = await focusStyle(button);
  expect(buttonFocus.outlineStyle, 'focused button outline').not.toBe('none');
  expect(buttonFocus.outlineWidth).toBeGreaterThan(0);

  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(exactPath('/device'));
  await expectCodeEntry(page);
});

// The stylesheet's base rule gives every :focus-visible element a 2px
// outline (assets/src/app.css). Inputs must keep it (no
// `focus:outline-none`): a box-shadow ring alone is not drawn in
// forced-colors (high contrast) mode.
test('a focused input shows the site-wide focus outline', async ({ page }) => {
  await page.goto('/login');
  const username = page.getByLabel('Username', { exact: true });
  await expect(username).toBeFocused();
  const usernameFocus = await focusStyle(username);
  expect(usernameFocus.outlineStyle, 'outline of the focused Username field').not.toBe('none');
  expect(usernameFocus.outlineWidth, 'outline width of the focused Username field').toBe(2);

  await page.keyboard.press('Tab');
  const password = page.getByLabel('Password', { exact: true });
  await expect(password).toBeFocused();
  const passwordFocus = await focusStyle(password);
  expect(passwordFocus.outlineStyle, 'outline of the focused Password field').not.toBe('none');
  expect(passwordFocus.outlineWidth, 'outline width of the focused Password field').toBe(2);
});

test('the device notice shows only when sign-in leads back to the device page', async ({ page }) => {
  // A bare /login: no notice at all.
  await page.goto('/login');
  await expectSignInPage(page);
  await expect(page.getByRole('status')).toHaveCount(0);
  await expect(page.getByText(MESSAGES.signInNotice)).toHaveCount(0);

  // Another local destination: still no device notice.
  await page.goto(`/login?next=${encodeURIComponent('/account')}`);
  await expectSignInPage(page);
  await expect(page.getByText(MESSAGES.signInNotice)).toHaveCount(0);

  // On the way to the device page (with or without a code): the notice.
  for (const next of ['/device', '/device?user_code=BCDF-GHJK']) {
    await page.goto(`/login?next=${encodeURIComponent(next)}`);
    await expectSignInPage(page);
    await expect(page.getByRole('status')).toHaveText(MESSAGES.signInNotice);
  }
});

// The server runs without --dev, as a release does: no live-reload script
// may be injected, and the CSP keeps forbidding inline scripts.
test('pages carry no live-reload or inline script, under a strict CSP', async ({ page, request }) => {
  const res = await request.get('/login');
  expect(res.status()).toBe(200);
  const csp = res.headers()['content-security-policy'];
  expect(csp, 'content-security-policy header').toBeTruthy();
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toContain('unsafe-eval');

  const htmlText = await res.text();
  expect(htmlText).not.toContain('data-event-stream');
  expect(htmlText.toLowerCase()).not.toContain('livereload');
  const scripts = htmlText.match(/<script\b[^>]*>/gi) ?? [];
  expect(scripts.length, 'the page loads its scripts').toBeGreaterThan(0);
  const inline = scripts.filter((tag) => !/\ssrc\s*=/i.test(tag));
  expect(inline, 'inline <script> elements (no src)').toEqual([]);

  // The same in the browser, signed in, on the device page.
  await page.goto('/login');
  await signIn(page);
  await expect(page).toHaveURL(exactPath('/device'));
  await expect(page.locator('script:not([src])')).toHaveCount(0);
  await expect(page.locator('[data-event-stream]')).toHaveCount(0);
  const deviceCsp = (await page.request.get('/device')).headers()['content-security-policy'];
  expect(deviceCsp).toContain("script-src 'self'");
  expect(deviceCsp).not.toContain('unsafe-inline');
});

test('wrong credentials: the form comes back with an alert and the username kept', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill(ADMIN.username);
  await page.getByLabel('Password', { exact: true }).fill('not-the-password');
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login'),
    page.getByRole('button', { name: 'Sign in', exact: true }).click(),
  ]);
  expect(response.status()).toBe(401);

  await expectSignInPage(page);
  await expect(page.getByRole('alert')).toHaveText(MESSAGES.badCredentials);
  await expect(page.getByLabel('Username', { exact: true })).toHaveValue(ADMIN.username);
  await expect(page.getByLabel('Password', { exact: true })).toHaveValue('');
  await expect(page.getByLabel('Password', { exact: true })).toBeFocused();
  await shot(page, 'login-error');

  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(exactPath('/device'));
  await expectCodeEntry(page);
});

test('after sign-in only local addresses are followed', async ({ page }) => {
  await page.goto(`/login?next=${encodeURIComponent('https://example.invalid/steal')}`);
  await signIn(page);
  await expect(page).toHaveURL(exactPath('/device'));
  const origin = new URL(page.url()).origin;

  // Signed in, /login forwards to `next` straight away.
  await page.goto(`/login?next=${encodeURIComponent('//example.invalid/steal')}`);
  await expect(page).toHaveURL(`${origin}/device`);
  await page.goto(`/login?next=${encodeURIComponent('/device?user_code=BCDF-GHJK')}`);
  await expect(page).toHaveURL(`${origin}/device?user_code=BCDF-GHJK`);
});
