import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { trackChildProcess } from './child-processes';
import { freePort } from './throwaway-services';
import { waitFor } from './wait-for';

export interface ServiceProcess {
  child: ChildProcess;
  port: number;
  baseUrl: string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  output(): string;
}

/** The repository (this file also runs compiled, from dist/test/support). */
const REPO_ROOT = (function findRoot(dir: string): string {
  return existsSync(resolve(dir, 'package.json')) || dirname(dir) === dir ? dir : findRoot(dirname(dir));
})(__dirname);

/**
 * Runs one of the service's entry points as a real child process, so a test can SIGTERM
 * or SIGKILL it: a source file (`src/main.ts`, `src/worker.ts`) compiled on the fly, or
 * a compiled one (`dist/src/main.js`, as the benchmarks and a deployment run it).
 * Resolves once `isReady` says so (by default: GET /health/live answers 200).
 */
export async function spawnService(
  entry: string,
  env: Record<string, string>,
  options: { port?: number; nodeArgs?: string[]; isReady?: (baseUrl: string) => Promise<boolean> } = {},
): Promise<ServiceProcess> {
  const port = options.port ?? (await freePort());
  const fromSource = entry.endsWith('.ts') ? ['-r', 'ts-node/register/transpile-only'] : [];
  const child = trackChildProcess(
    spawn(process.execPath, [...(options.nodeArgs ?? []), ...fromSource, resolve(REPO_ROOT, entry)], {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', PORT: String(port), WORKER_HEALTH_PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | string>((r) => child.once('exit', (code, signal) => r(code ?? signal ?? 'unknown')));
  const baseUrl = `http://127.0.0.1:${port}`;
  let gone = false;
  void exited.then(() => (gone = true));
  const isReady = options.isReady ?? (async (url: string) => (await fetch(`${url}/health/live`)).ok);
  try {
    await waitFor(`${entry} to answer`, async () => {
      if (gone) throw new Error(`${entry} exited during start-up:\n${output}`);
      try {
        return await isReady(baseUrl);
      } catch {
        return false;
      }
    }, 60_000, 200);
  } catch (error) {
    // A service that never became ready is killed, so it cannot outlive the test (and keep Jest from exiting).
    if (!gone) {
      child.kill('SIGKILL');
      await exited;
    }
    throw error;
  }
  return { child, port, baseUrl, exited, output: () => output };
}
