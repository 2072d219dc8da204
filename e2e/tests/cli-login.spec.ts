// `authgate login` signing in through a real browser: the CLI runs as a
// process with BROWSER set to a script that hands the URL over (the
// `webbrowser` crate honours BROWSER), Chromium opens it, the person signs
// in and approves, and Chromium is redirected to the CLI's loopback
// listener (past the consent page's CSP `form-action`), whose page says
// the tab can be closed. The CLI then stores tokens `authgate token` prints.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI_CLIENT_NAME, expect, signIn, test } from '../fixtures';
import { CLI_CLIENT_ID, shot, tokenInfo } from '../support';
import { serverBinary } from '../server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('authgate login signs in through the browser', async ({ page, request, baseURL }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authgate-cli-'));
  const urlFile = path.join(dir, 'url');
  const script = path.join(dir, 'browser.sh');
  fs.writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$1" > '${urlFile}.tmp' && mv '${urlFile}.tmp' '${urlFile}'\n`, {
    mode: 0o755,
  });
  // Only what the CLI needs: no DISPLAY, so BROWSER is what makes it try the browser.
  const env = { PATH: process.env.PATH ?? '', AUTHGATE_CONFIG_DIR: dir, BROWSER: script };
  const cli = spawn(serverBinary(), ['login', '--server', baseURL!, '--client-id', CLI_CLIENT_ID], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  cli.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => cli.on('exit', (code) => resolve(code)));
  try {
    let url = '';
    for (let i = 0; i < 300 && url === ''; i++) {
      if (fs.existsSync(urlFile)) url = fs.readFileSync(urlFile, 'utf8').trim();
      else await sleep(50);
    }
    expect(url, `the CLI opened no URL: ${stderr}`).not.toBe('');
    const redirect = new URL(new URL(url).searchParams.get('redirect_uri')!);

    await page.goto(url);
    await signIn(page);
    await expect(page.getByRole('heading', { name: `Sign in to ${CLI_CLIENT_NAME}?` })).toBeVisible();
    await expect(page.getByTestId('returns-to')).toHaveText(redirect.host);
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await page.waitForURL((u) => u.origin === redirect.origin);
    await expect(page.getByRole('heading', { name: 'Signed in' })).toBeVisible();
    await expect(page.getByText('You can close this tab')).toBeVisible();
    await shot(page, 'cli-login-done');

    expect(await exited, stderr).toBe(0);
    expect(stderr).toContain(`Signed in to ${baseURL} as admin.`);
    const token = spawnSync(serverBinary(), ['token'], { env, encoding: 'utf8' });
    expect(token.status, token.stderr).toBe(0);
    const info = await tokenInfo(request, token.stdout.trim());
    expect(info.status).toBe(200);
    expect(info.json.client_id).toBe(CLI_CLIENT_ID);
  } finally {
    cli.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
