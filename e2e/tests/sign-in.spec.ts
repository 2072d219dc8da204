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
// outline (assets/src/app.css), but the inputs' `focus:outline-none`
// utility wins and removes it; their only indicator is a box-shadow ring,
// which forced-colors (high contrast) mode does not draw.
test('a focused input keeps an outline (known bug: focus:outline-none removes it)', async ({ page }) => {
  test.fail(true, 'inputs use Tailwind v4 focus:outline-none: outline-style is none when focused');
  await page.goto('/login');
  const username = page.getByLabel('Username', { exact: true });
  await expect(username).toBeFocused();
  await page.keyboard.press('Tab');
  const password = page.getByLabel('Password', { exact: true });
  await expect(password).toBeFocused();
  for (const field of [username, password]) {
    await field.focus();
    expect((await focusStyle(field)).outlineStyle, 'outline of a focused input').not.toBe('none');
  }
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
