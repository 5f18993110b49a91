import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initialise, startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { freePort } from '../support/throwaway-services';
import { waitFor } from '../support/wait-for';

const REPO = resolve(__dirname, '../..');
const asRoot = process.getuid?.() === 0;

/** `npm start` with no DATABASE_URL: the embedded PostgreSQL's first start and its shutdown. */
describe('embedded PostgreSQL', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'cb-embedded-pg-'));
    chmodSync(scratch, 0o755); // the postgres user (as root) must be able to enter it
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('initialises next to the data directory and renames on success: a failed initdb leaves nothing behind', () => {
    const parent = join(scratch, 'failed-initdb');
    expect(() => initialise('/bin/false', join(parent, 'postgres'), undefined, () => undefined)).toThrow(/initdb failed/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('as root, stops with what to do when the postgres user cannot enter the directory, and leaves no data directory', async () => {
    const privateHome = join(scratch, 'home-700');
    mkdirSync(privateHome, { mode: 0o700 });
    const dir = join(privateHome, 'clone', '.data', 'postgres');
    const starting = startEmbeddedPostgres(dir, await freePort(), () => undefined);
    if (asRoot) {
      // PostgreSQL runs as `postgres`, which cannot enter a directory of mode 700 owned by root.
      await expect(starting).rejects.toThrow(/EMBEDDED_PG_DIR=.*cannot enter .*Set EMBEDDED_PG_DIR to a directory it can reach/);
      expect(existsSync(dir)).toBe(false);
    } else {
      // Not root: PostgreSQL runs as this user, who owns the directory.
      const server = await starting;
      await server.stop();
      expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);
    }
  }, 120_000);

  it('survives Ctrl-C until the service has drained, then stops cleanly: exit 0, no error line', async () => {
    const dataDir = join(scratch, 'service', 'postgres');
    const [port, pgPort] = [await freePort(), await freePort()];
    // Its own process group, like a command in a terminal: Ctrl-C signals the whole group.
    const service = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
      cwd: REPO,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'info', PORT: String(port), WORKER_HEALTH_PORT: '0', EMBEDDED_PG_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), DATABASE_URL: '', REDIS_URL: '' },
    });
    let output = '';
    service.stdout!.on('data', (d) => (output += d));
    service.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | string>((r) => service.once('exit', (code, signal) => r(code ?? signal ?? 'unknown')));
    await waitFor('the service to be ready', async () => (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.ok, 120_000, 250);

    const postgresPid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const groupOf = (pid: number) => Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(pid)]).toString());
    expect(groupOf(postgresPid)).not.toBe(groupOf(service.pid!));

    process.kill(-service.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    const lines = output.split('\n').filter((l) => l.startsWith('{'));
    expect(lines.filter((l) => /"level":(50|60|"error")/.test(l))).toEqual([]);
    expect(output).toContain('draining HTTP requests');
    // Stopped by the service (a smart shutdown removes postmaster.pid), not left running.
    await waitFor('PostgreSQL to exit', async () => !existsSync(join(dataDir, 'postmaster.pid')), 20_000);
    expect(() => process.kill(postgresPid, 0)).toThrow();
  }, 180_000);
});
