import { ChildProcess, spawn } from 'node:child_process';
import { killChildProcesses, runningChildProcesses, trackChildProcess } from '../support/child-processes';
import { spawnService } from '../support/service-process';
import { waitFor } from '../support/wait-for';

/** A process that runs until it is killed (and, as a service, never answers). */
const FOREVER = ['-e', 'setInterval(() => {}, 1000)'];
const exitOf = (child: ChildProcess) => new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));

/**
 * What a test that fails or times out mid-step leaves running is killed after its file,
 * so it cannot keep Jest's worker from exiting (deploy-sequence left its CLI or a service
 * that was still starting).
 */
describe('processes a test file leaves running', () => {
  it('are killed, and a service still starting stops waiting for it', async () => {
    const child = trackChildProcess(spawn(process.execPath, FOREVER, { stdio: 'ignore' }));
    const exited = exitOf(child);
    // The test that started it has given up: nobody awaits it (-e runs the code; the entry is only its argument).
    const starting = spawnService('package.json', {}, { nodeArgs: FOREVER }).then(
      () => 'started',
      (error: Error) => error.message,
    );
    await waitFor('the service process to be spawned', async () => runningChildProcesses().length === 2);

    await killChildProcesses();

    expect(await exited).toBe('SIGKILL');
    expect(await starting).toMatch(/^package.json exited during start-up/);
  });
});
