// Playwright configuration for AuthGate's end-to-end suite.
// Run with `npm run e2e` (needs the server binary: `cargo build --release`,
// or AUTHGATE_BIN=path/to/authgate). Browsers come from Debian
// (`e2e/install-deps.sh`); Playwright never downloads one.
import path from 'node:path';
import { defineConfig } from '@playwright/test';

// Paths are absolute so they do not depend on the directory npm runs in.
const here = __dirname;

// Tests meant for the phone-sized project: "mobile" in the file name, a
// describe/test title or a tag. Playwright matches `grep` against
// "<project name> <file> <describe...> <title> <tags>", so the first word
// (the project name, itself "mobile") is skipped: a bare /mobile/ would
// select every test in the mobile project.
const MOBILE = /^\S+\s.*mobile/i;

export default defineConfig({
  testDir: path.join(here, 'tests'),
  outputDir: path.join(here, 'test-results'),
  globalSetup: path.join(here, 'global-setup.ts'),
  globalTeardown: path.join(here, 'global-teardown.ts'),

  // One server, one browser at a time: the machines have 2 cores.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,

  reporter: [
    ['list'],
    ['html', { outputFolder: path.join(here, 'playwright-report'), open: 'never' }],
  ],

  use: {
    // Set by global-setup.ts, which starts the server on a free port.
    // Workers load this file after global setup has run, so the value is
    // there when tests use relative URLs (page.goto('/device')).
    baseURL: process.env.E2E_BASE_URL,
    headless: true,
    screenshot: 'on',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },

  projects: [
    {
      name: 'desktop',
      grepInvert: MOBILE,
      use: {
        browserName: 'chromium',
        viewport: { width: 1280, height: 800 },
      },
    },
    {
      name: 'mobile',
      grep: MOBILE,
      use: {
        browserName: 'chromium',
        viewport: { width: 360, height: 740 },
        isMobile: true,
        hasTouch: true,
        deviceScaleFactor: 2,
      },
    },
  ],
});
