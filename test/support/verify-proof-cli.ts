import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * Runs `cli verify-proof --file FILE --seal SEAL` the way a villager would: with no database and no
 * configuration at all (an unset NODE_ENV means production, which would refuse to start without
 * secrets if the command loaded the configuration).
 */
export function runVerifyProof(file: string, seal: string): Promise<{ code: number; stdout: string }> {
  return promisify(execFile)(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', resolve('src/cli.ts'), 'verify-proof', '--file', file, '--seal', seal],
    { env: { PATH: process.env.PATH }, timeout: 50_000 },
  ).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );
}
