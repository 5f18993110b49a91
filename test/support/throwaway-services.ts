import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait-for';

/**
 * PostgreSQL and Redis servers of a test's own, on their own ports, for tests that stop
 * or restart a service. The machine's shared servers are never touched.
 */

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ThrowawayService {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

function postgresBin(tool: string): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  return `/usr/lib/postgresql/${versions[0]}/bin/${tool}`;
}

/** PostgreSQL refuses to run as root: as root, run its tools as the `postgres` user. */
function asPostgres(tool: string, args: string[]): string[] {
  return userInfo().uid === 0 ? ['runuser', '-u', 'postgres', '--', postgresBin(tool), ...args] : [postgresBin(tool), ...args];
}

function run(argv: string[]): void {
  execFileSync(argv[0], argv.slice(1), { stdio: 'pipe' });
}

export async function startThrowawayPostgres(): Promise<ThrowawayService> {
  const dir = mkdtempSync(join(tmpdir(), 'cb-pg-'));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, 'data');
  const port = await freePort();
  if (userInfo().uid === 0) run(['chown', 'postgres', dir]);
  run(asPostgres('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']));
  const pgCtl = (action: string, extra: string[] = []) =>
    run(
      asPostgres('pg_ctl', [
        '-D',
        dataDir,
        '-w',
        '-l',
        join(dir, 'log'),
        ...extra,
        action,
        ...(action === 'start' ? ['-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`] : []),
      ]),
    );
  const service: ThrowawayService = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: async () => pgCtl('start'),
    stop: async () => pgCtl('stop', ['-m', 'immediate']),
    destroy: async () => {
      try {
        pgCtl('stop', ['-m', 'immediate']);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await service.start();
  return service;
}

/**
 * A Redis of the test's own. By default it keeps nothing across a restart; with
 * `appendOnly` it keeps an append-only file in a directory of its own, as production's
 * compose file runs Redis (`--appendonly yes`), so a restart keeps the queues.
 */
export async function startThrowawayRedis({ appendOnly = false }: { appendOnly?: boolean } = {}): Promise<ThrowawayService> {
  const port = await freePort();
  const dir = appendOnly ? mkdtempSync(join(tmpdir(), 'cb-redis-')) : undefined;
  let child: ChildProcess | undefined;
  const service: ThrowawayService = {
    url: `redis://127.0.0.1:${port}`,
    port,
    start: async () => {
      const persistence = dir ? ['--dir', dir, '--appendonly', 'yes'] : ['--appendonly', 'no'];
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence], {
        stdio: 'ignore',
      });
      await waitFor(`Redis on port ${port}`, async () => {
        try {
          execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'pipe' });
          return true;
        } catch {
          return false;
        }
      });
    },
    stop: async () => {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
    destroy: async () => {
      await service.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  await service.start();
  return service;
}

export interface ThrowawayRedisCluster {
  /** `redis+cluster://…` naming every node, as REDIS_URL. */
  url: string;
  ports: number[];
  /** Runs a redis-cli command against one node (its output). */
  cli(port: number, ...args: string[]): string;
  destroy(): Promise<void>;
}

/**
 * A Redis Cluster of the test's own: `nodes` masters (no replicas) on their own ports, each
 * with its cluster config in a temporary directory, joined by `redis-cli --cluster create`.
 * Nothing is persisted; destroy() kills the nodes and removes the directory.
 */
export async function startThrowawayRedisCluster(nodes = 3): Promise<ThrowawayRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'cb-redis-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const taken = new Set<number>();
  const newPort = async (): Promise<number> => {
    const port = await freePort();
    if (taken.has(port)) return newPort();
    taken.add(port);
    return port;
  };
  const cli = (port: number, ...args: string[]) => execFileSync('redis-cli', ['-p', String(port), ...args], { stdio: 'pipe' }).toString();
  const destroy = async () => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < nodes; i++) {
      // The cluster bus gets a port of its own (the default, port + 10000, may be taken or out of range).
      const [port, busPort] = [await newPort(), await newPort()];
      ports.push(port);
      const child = spawn(
        'redis-server',
        ['--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
          '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir, '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      children.push(child);
    }
    for (const port of ports) {
      await waitFor(`Redis cluster node on port ${port}`, async () => {
        try {
          return cli(port, 'ping').trim() === 'PONG';
        } catch {
          return false;
        }
      });
    }
    execFileSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'pipe' });
    // Every node must agree that all slots are served before clients can use it.
    for (const port of ports) await waitFor(`cluster state ok on port ${port}`, async () => /cluster_state:ok/.test(cli(port, 'cluster', 'info')), 20_000, 100);
  } catch (error) {
    await destroy();
    throw error;
  }
  return { url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, ports, cli, destroy };
}
