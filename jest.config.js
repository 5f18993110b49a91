/** One command runs every tier: unit specs next to the code, integration and e2e tests under test/. */
module.exports = {
  rootDir: '.',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  testEnvironment: 'node',
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
  // A worker exits when its event loop is empty. After its last file the sockets it closed
  // (pg pools, Redis QUIT replies, reaped child processes) still need a few turns of the loop,
  // which on a loaded 2-core machine took longer than Jest's default 500 ms, and Jest then
  // force-exits it. A real leak (a handle that never closes) still shows after 2 s.
  workerGracefulExitTimeout: 2000,
};
