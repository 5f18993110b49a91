import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { trackChildProcess } from './child-processes';

export interface WorkerProcess {
  child: ChildProcess;
  /** Where it serves /health/live, /health/ready and /metrics. */
  port: number;
  output(): string;
  /** SIGTERM and wait for the exit (graceful shutdown). */
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

/**
 * Starts `src/worker.ts` (what `npm run start:worker` runs, from source; slow to start on a
 * busy machine, hence the generous default wait) as a real
 * child process and resolves once its workers are running.
 */
export async function startWorkerProcess(env: Record<string, string>, timeoutMs = 90_000): Promise<WorkerProcess> {
  let output = '';
  const child = trackChildProcess(
    fork(join(__dirname, '../../src/worker.ts'), [], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      env: { ...process.env, NODE_ENV: 'test', RUN_MIGRATIONS: 'false', WORKER_HEALTH_PORT: '0', TS_NODE_PROJECT: 'tsconfig.json', ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    }),
  );
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let port = 0;
  await new Promise<void>((resolve, reject) => {
    // A worker that never reports in is killed, so it cannot outlive the test (and keep Jest from exiting).
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once('message', (message: { port: number }) => {
      port = message.port;
      clearTimeout(timer);
      resolve();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before starting:\n${output}`));
    });
  });
  return {
    child,
    port,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
