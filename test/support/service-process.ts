import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
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

/**
 * Runs one of the service's entry points (`src/main.ts`, `src/worker.ts`) as a real
 * child process, compiled on the fly, so a test can SIGTERM or SIGKILL it.
 * Resolves once GET /health/live answers on its port.
 */
export async function spawnService(
  entry: string,
  env: Record<string, string>,
  options: { port?: number; nodeArgs?: string[] } = {},
): Promise<ServiceProcess> {
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '-r', 'ts-node/register/transpile-only', resolve(entry)], {
    cwd: resolve(__dirname, '../..'),
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', PORT: String(port), WORKER_HEALTH_PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | string>((r) => child.once('exit', (code, signal) => r(code ?? signal ?? 'unknown')));
  const baseUrl = `http://127.0.0.1:${port}`;
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(`${entry} to answer /health/live`, async () => {
    if (gone) throw new Error(`${entry} exited during start-up:\n${output}`);
    try {
      return (await fetch(`${baseUrl}/health/live`)).ok;
    } catch {
      return false;
    }
  }, 60_000, 200);
  return { child, port, baseUrl, exited, output: () => output };
}
