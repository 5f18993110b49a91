import type { ChildProcess } from 'node:child_process';

/**
 * The child processes a test file started that have not exited yet. When a test fails or
 * times out mid-step, Jest runs the file's afterAll hooks while the test's own code is still
 * waiting (for a process to start, a CLI to finish), so the test never gets to stop what it
 * started: such a process outlived the file and kept Jest's worker from exiting.
 * killChildProcesses() kills them; it runs after every file that imports this module, and a
 * file may call it sooner (before dropping the database they use). Outside Jest (the
 * benchmarks) there is no afterAll and nothing is killed.
 */
const running = new Set<ChildProcess>();
let finished = false;

/** Tracks `child` until it exits; one started after its file's last hook is killed at once. */
export function trackChildProcess<T extends ChildProcess>(child: T): T {
  if (finished) {
    // Started by test code that kept running after its file's hooks (a timed-out test).
    child.kill('SIGKILL');
    return child;
  }
  if (child.exitCode === null && child.signalCode === null) {
    running.add(child);
    child.once('exit', () => running.delete(child));
  }
  return child;
}

/** The tracked processes still running. */
export function runningChildProcesses(): ChildProcess[] {
  return [...running];
}

/** SIGKILLs every tracked process still running and resolves once they have exited. */
export async function killChildProcesses(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }),
  );
}

// A hook registered at the top level runs after the file's own (describe-level) afterAll.
if (typeof afterAll === 'function') {
  afterAll(() => {
    finished = true;
    return killChildProcesses();
  });
}
