// Starts one AuthGate server for the whole end-to-end run (server.ts has
// the details: binary, port, data directory, environment).
//
// - logs (stdout and stderr) go to e2e/artifacts/server.log
// - the base URL reaches tests as process.env.E2E_BASE_URL and as
//   Playwright's `use.baseURL`; e2e/artifacts/server.json records it too
//
// global-teardown.ts stops the server.
import fs from 'node:fs';
import path from 'node:path';
import type { FullConfig } from '@playwright/test';
import { ARTIFACTS, startServer, type RunningServer } from './server';

export const SERVER_JSON = path.join(ARTIFACTS, 'server.json');

// The running server, shared with global-teardown.ts (same process).
declare global {
  // eslint-disable-next-line no-var
  var __authgateServer: RunningServer | undefined;
}

export default async function globalSetup(_config: FullConfig): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.rmSync(SERVER_JSON, { force: true });

  const server = await startServer({ name: 'server' });
  globalThis.__authgateServer = server;

  // Workers are started after this and inherit the environment.
  process.env.E2E_BASE_URL = server.info.baseURL;
  fs.writeFileSync(SERVER_JSON, JSON.stringify(server.info, null, 2) + '\n');
}
