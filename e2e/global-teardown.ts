// Stops the server started by global-setup.ts (server.ts: SIGTERM, then
// SIGKILL after a grace period; warns if it did not end cleanly).
import type { FullConfig } from '@playwright/test';
import { stopServer } from './server';

export default async function globalTeardown(_config: FullConfig): Promise<void> {
  const server = globalThis.__authgateServer;
  globalThis.__authgateServer = undefined;
  if (server) await stopServer(server);
}
