import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { spawnService } from '../support/service-process';
import { freePort } from '../support/throwaway-services';
import { fmt, LatencyStats, runFor } from './bench-util';

export { freePort };

/** Requests resent because their connection was reset (see post). */
export const resends = { count: 0 };

/**
 * What production mode insists on, made for this run only: a strong JWT secret (the
 * benches sign their residents' tokens with it) and a metrics scrape token.
 */
export const BENCH_SECRETS = {
  JWT_SECRET: randomBytes(48).toString('base64'),
  METRICS_TOKEN: randomBytes(24).toString('hex'),
};

const nodeArgs = () => (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);

/**
 * Starts the compiled service (`dist/src/main.js`, what `npm run start:prod` and the
 * Docker image run) as a separate process in production mode, so the load generator
 * does not share its event loop. BENCH_SERVICE_NODE_ARGS (e.g. "--cpu-prof") is passed
 * to its node; BENCH_LOG_LEVEL (default warn) is its LOG_LEVEL (`info` writes the
 * request lines a deployment would, to this process, which keeps them in memory).
 */
export async function startService(databaseUrl: string, port: number, env: Record<string, string>): Promise<ChildProcess> {
  const service = await spawnService(
    'dist/src/main.js',
    { NODE_ENV: 'production', DATABASE_URL: databaseUrl, RUN_MIGRATIONS: 'false', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', ...BENCH_SECRETS, ...env },
    { port, nodeArgs: nodeArgs() },
  );
  return service.child;
}

/** Starts the bare NestJS + Apollo hello world on Express (bare-hello.ts), compiled, in production mode. */
export async function startBareHello(): Promise<{ child: ChildProcess; port: number; pid: number }> {
  const hello = await spawnService('dist/test/bench/bare-hello.js', { NODE_ENV: 'production' }, {
    isReady: async (url) => (await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' })).ok,
  });
  return { child: hello.child, port: hello.port, pid: hello.child.pid! };
}

/** `{ __typename }` at `connections` for `seconds` (after a 2 s warm-up): no resolver, no database. */
export async function typenameRate(port: number, pid: number, connections: number, seconds: number): Promise<LatencyStats> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const op = async () => {
    const res = await post(agent, port, '{ __typename }');
    if (res.errors) throw new Error(JSON.stringify(res.errors));
  };
  try {
    await runFor(2, connections, op);
    return await runFor(seconds, connections, op, pid);
  } finally {
    agent.destroy();
  }
}

/**
 * The bare hello world's `{ __typename }`, measured twice in a run (before and after the
 * service's phases) on a machine others may share: the mean is the reference, and the
 * two readings show how much the machine drifted during the run.
 */
export class BareReference {
  private readonly readings: LatencyStats[] = [];
  constructor(
    private readonly bare: { port: number; pid: number },
    private readonly connections: number,
    private readonly seconds: number,
  ) {}

  async measure(label: string): Promise<void> {
    const stats = await typenameRate(this.bare.port, this.bare.pid, this.connections, this.seconds);
    this.readings.push(stats);
    console.log(`bare hello { __typename }, ${label.padEnd(6)} ${fmt(stats)}`);
  }

  get perSecond(): number {
    return this.readings.reduce((s, r) => s + r.perSecond, 0) / this.readings.length;
  }

  get cpuMsPerRequest(): number {
    return this.readings.reduce((s, r) => s + r.cpuMsPerRequest!, 0) / this.readings.length;
  }

  describe(): string {
    const rates = this.readings.map((r) => r.perSecond);
    const drift = (100 * (Math.max(...rates) - Math.min(...rates))) / this.perSecond;
    return (
      `bare hello reference ${this.perSecond.toFixed(0)}/s, server CPU ${this.cpuMsPerRequest.toFixed(2)} ms/request ` +
      `(mean of ${rates.map((r) => r.toFixed(0)).join(' and ')}/s: the machine drifted ${drift.toFixed(0)}% during the run)`
    );
  }
}

/**
 * Prints `NAME ÷ bare = X` (or any other ratio of requests/s) with its target, and the
 * same comparison by the Node process's CPU per request (the other's ÷ this one's), which
 * neighbours on a shared machine move much less; it leaves out PostgreSQL's share.
 */
export function printRatio(name: string, ratio: number, note: string, cpu?: { of: LatencyStats; reference: number }): void {
  const byCpu = cpu ? `   by Node CPU per request: ${(cpu.reference / cpu.of.cpuMsPerRequest!).toFixed(2)}` : '';
  console.log(`${name.padEnd(27)} = ${ratio.toFixed(2)}   (${note})${byCpu}`);
}

export async function stopService(service: ChildProcess | undefined): Promise<void> {
  if (!service || service.exitCode !== null) return;
  service.kill('SIGTERM');
  await new Promise((r) => service.once('exit', r));
}

/** POSTs a GraphQL operation; resends (twice at most) when the connection is reset. */
export async function post(agent: http.Agent, port: number, query: string, variables?: object, token?: string): Promise<any> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await postOnce(agent, port, query, variables, token);
    } catch (error) {
      // A reset connection: usually Node's documented keep-alive race (the request never
      // reached the server); under a 2,000-connection storm also a refused new socket.
      // Sending again is safe for every operation the benches use: a sign-up or enrolment
      // that did get through answers ALREADY_SIGNED_UP / ALREADY_ENROLLED the second time.
      if (['ECONNRESET', 'EPIPE'].includes((error as NodeJS.ErrnoException).code ?? '') && attempt < 3) {
        resends.count++;
        continue;
      }
      throw error;
    }
  }
}

function postOnce(agent: http.Agent, port: number, query: string, variables?: object, token?: string): Promise<any> {
  const body = JSON.stringify({ query, variables });
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (e) {
            reject(e);
          }
        });
      },
    );
    req.on('error', (error) => reject(Object.assign(error, { reusedSocket: req.reusedSocket })));
    req.end(body);
  });
}

