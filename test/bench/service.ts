import { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { spawnService } from '../support/service-process';
import { freePort } from '../support/throwaway-services';

export { freePort };

/** Requests resent because their connection was reset (see post). */
export const resends = { count: 0 };

/**
 * Starts `src/main.ts` as a separate process in production mode, so the load generator
 * does not share the service's event loop. BENCH_SERVICE_NODE_ARGS (e.g. "--prof") is
 * passed to its node.
 */
export async function startService(databaseUrl: string, port: number, env: Record<string, string>): Promise<ChildProcess> {
  const nodeArgs = (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const service = await spawnService(
    'src/main.ts',
    { NODE_ENV: 'production', DATABASE_URL: databaseUrl, RUN_MIGRATIONS: 'false', LOG_LEVEL: 'warn', ...env },
    { port, nodeArgs },
  );
  return service.child;
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

