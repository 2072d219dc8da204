// `npm run css:check`: rebuilds the stylesheet into a temporary file and
// fails when it differs from the committed assets/dist/app.css, so a change
// to the Rust templates or app.css without `npm run css` is caught.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const input = join(root, 'assets/src/app.css');
const committed = join(root, 'assets/dist/app.css');
const cli = join(root, 'node_modules/.bin/tailwindcss');

if (!existsSync(cli)) {
  console.error('css:check: node_modules/.bin/tailwindcss is missing: run `npm ci` first');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'authgate-css-'));
const fresh = join(dir, 'app.css');
try {
  const build = spawnSync(cli, ['-i', input, '-o', fresh, '--minify'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (build.status !== 0) {
    console.error('css:check: the Tailwind build failed:');
    console.error(build.stderr || build.stdout);
    process.exit(2);
  }
  if (!existsSync(committed)) {
    console.error('css:check: assets/dist/app.css does not exist: run `npm run css` and commit it');
    process.exit(1);
  }
  const want = readFileSync(fresh);
  const have = readFileSync(committed);
  if (!want.equals(have)) {
    console.error(
      'css:check: assets/dist/app.css is out of date with assets/src/app.css, ' +
        'tailwind.config.js and the Rust sources.\n' +
        `  committed: ${have.length} bytes, rebuilt: ${want.length} bytes\n` +
        '  Run `npm run css` and commit assets/dist/app.css.',
    );
    process.exit(1);
  }
  console.log(`css:check: assets/dist/app.css is up to date (${have.length} bytes)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
