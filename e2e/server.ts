// Starting and stopping AuthGate servers for the end-to-end suite.
//
// global-setup.ts starts the shared server with these helpers; a spec that
// needs different settings (e.g. a short DEVICE_CODE_EXPIRATION) starts its
// own with `startServer({ name, env })` and stops it with `stopServer`.
//
// Each server gets:
// - the binary $AUTHGATE_BIN, default target/release/authgate (relative
//   paths are taken from the repository root)
// - a free port on 127.0.0.1, a fresh temporary directory as working
//   directory holding the SQLite database (removed on stop unless
//   E2E_KEEP_DATA is set)
// - a log file e2e/artifacts/<name>.log with stdout and stderr
// - the administrator and CLI client the specs expect (support.ts: ADMIN,
//   CLI_CLIENT_ID), and a 1 s polling interval
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..');
export const ARTIFACTS = path.join(__dirname, 'artifacts');

const STARTUP_TIMEOUT_MS = 30_000;
const HEALTH_POLL_MS = 100;
const STOP_GRACE_MS = 15_000;

/** What is known about a started server (server.json records it). */
export interface ServerInfo {
  baseURL: string;
  port: number;
  pid: number;
  binary: string;
  dataDir: string;
  log: string;
}

export interface RunningServer {
  child: ChildProcess;
  info: ServerInfo;
}

export interface StartOptions {
  /** Names the log file: e2e/artifacts/<name>.log. Default "server". */
  name?: string;
  /** Extra or overriding environment variables for the server. */
  env?: Record<string, string>;
  /**
   * The host name in BASE_URL (it still listens on 127.0.0.1). Browsers keep
   * cookies per host, not per port: two servers a browser visits in turn
   * need different names (e.g. "localhost" for the second). Passkeys need
   * a domain name, not an address: `localhost`.
   */
  host?: string;
}

/** The environment every e2e server gets (before StartOptions.env). */
export const BASE_ENV: Readonly<Record<string, string>> = {
  ADMIN_USERNAME: 'admin',
  ADMIN_PASSWORD: 'e2e-admin-password',
  CLI_CLIENT_ID: 'e2e-cli',
  POLLING_INTERVAL: '1s',
  LOG_FORMAT: 'json',
  RUST_LOG: 'info',
};

/** The server binary: $AUTHGATE_BIN or target/release/authgate. */
export function serverBinary(): string {
  return path.resolve(REPO_ROOT, process.env.AUTHGATE_BIN || 'target/release/authgate');
}

/** A port that was free a moment ago: bind port 0, read it, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      if (address === null || typeof address === 'string') {
        srv.close();
        reject(new Error('could not read the port of a listening socket'));
        return;
      }
      const { port } = address;
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** The last `lines` lines of a server log, for error messages. */
export function logTail(log: string, lines = 40): string {
  try {
    const text = fs.readFileSync(log, 'utf8').trimEnd();
    if (text === '') return '(the server printed nothing)';
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no server log)';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/**
 * Starts a server and resolves once GET /health answers 200. The port is
 * picked free a moment before the server binds it (BASE_URL must name it
 * in advance), so another process can take it in between: a start that
 * fails to bind is tried again on another port, a few times.
 */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      const lost = (err as Error).message.includes('cannot listen on');
      if (!lost || attempt >= 3) throw err;
      console.warn(`e2e: the picked port was taken before the server bound it; trying another`);
    }
  }
}

async function startOnce(options: StartOptions): Promise<RunningServer> {
  const name = options.name ?? 'server';
  const binary = serverBinary();
  try {
    fs.accessSync(binary, fs.constants.X_OK);
  } catch {
    throw new Error(
      `e2e: server binary ${binary} is missing or not executable.\n` +
        'Build it with `cargo build --release`, or point AUTHGATE_BIN at one ' +
        '(e.g. AUTHGATE_BIN=target/debug/authgate npm run e2e).',
    );
  }

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const log = path.join(ARTIFACTS, `${name}.log`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'authgate-e2e-'));
  const port = await freePort();
  const local = `http://127.0.0.1:${port}`;
  const baseURL = options.host ? `http://${options.host}:${port}` : local;

  // The log file's descriptor goes straight to the child: output is kept
  // even if this process is busy or dies.
  const logFd = fs.openSync(log, 'w');
  const child = spawn(binary, ['server'], {
    cwd: dataDir,
    env: {
      ...process.env,
      ...BASE_ENV,
      SERVER_ADDR: `127.0.0.1:${port}`,
      BASE_URL: baseURL,
      DATABASE_URL: `sqlite://${path.join(dataDir, 'authgate.db')}`,
      ...options.env,
    },
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);

  let exited: string | null = null;
  let spawnError: Error | null = null;
  child.on('error', (err) => (spawnError = err));
  child.on('exit', (code, signal) => (exited = signal ? `signal ${signal}` : `exit code ${code}`));

  // Should this process die without stopping the server, take it along.
  const killOnExit = () => {
    if (isRunning(child)) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));

  const info: ServerInfo = { baseURL, port, pid: child.pid ?? -1, binary, dataDir, log };

  const fail = (why: string): never => {
    killOnExit();
    const keep = !!process.env.E2E_KEEP_DATA;
    if (!keep) fs.rmSync(dataDir, { recursive: true, force: true });
    throw new Error(
      `e2e: the server "${name}" did not become healthy: ${why}\n` +
        `  binary: ${binary}\n` +
        `  data dir: ${dataDir}${keep ? '' : ' (removed; E2E_KEEP_DATA=1 keeps it)'}\n` +
        `  log: ${log}\n` +
        `--- last lines of the server log ---\n${logTail(log)}\n---`,
    );
  };

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let lastProblem = 'no answer yet';
  for (;;) {
    if (spawnError) fail(`could not start it: ${(spawnError as Error).message}`);
    if (exited) fail(`it exited early (${exited})`);
    try {
      const res = await fetch(`${local}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) break;
      lastProblem = `GET /health answered ${res.status}: ${(await res.text()).slice(0, 200)}`;
    } catch (err) {
      lastProblem = `GET /health failed: ${(err as Error).cause ?? (err as Error).message}`;
    }
    if (Date.now() > deadline) fail(`gave up after ${STARTUP_TIMEOUT_MS / 1000} s; ${lastProblem}`);
    await sleep(HEALTH_POLL_MS);
  }

  return { child, info };
}

/**
 * Stops a server: SIGTERM (graceful shutdown), then SIGKILL if it is still
 * running after the grace period. Warns when it did not end cleanly, and
 * removes its data directory unless E2E_KEEP_DATA is set.
 */
export async function stopServer(server: RunningServer): Promise<void> {
  const { child, info } = server;
  if (isRunning(child)) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), STOP_GRACE_MS).unref(),
    );
    if ((await Promise.race([exited, timer])) === 'timeout') {
      console.warn(`e2e: the server did not stop within ${STOP_GRACE_MS / 1000} s of SIGTERM; killing it`);
      child.kill('SIGKILL');
      await exited;
    }
  }

  // A server that crashed or failed to shut down cleanly is worth a look.
  if (child.signalCode !== 'SIGTERM' && child.exitCode !== 0) {
    const how = child.signalCode ? `signal ${child.signalCode}` : `exit code ${child.exitCode}`;
    console.warn(`e2e: the server ended with ${how}; log: ${info.log}\n${logTail(info.log, 20)}`);
  }

  if (!process.env.E2E_KEEP_DATA) {
    fs.rmSync(info.dataDir, { recursive: true, force: true });
  }
}

/**
 * Runs `authgate ARGS` (an operator's command) on the database of `server`,
 * with `input` on standard input; its standard output.
 */
export function authgate(server: RunningServer, args: string[], input?: string): string {
  return execFileSync(serverBinary(), args, {
    env: {
      ...process.env,
      DATABASE_URL: `sqlite://${path.join(server.info.dataDir, 'authgate.db')}`,
      BASE_URL: server.info.baseURL,
    },
    input,
    encoding: 'utf8',
  });
}
