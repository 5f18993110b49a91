// `npm run cli` and `npm run seed:demo` build first, unless the build is already newer than
// every source it is made from: a command then starts in a second, not after a full build.
const { execSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const SOURCES = ['src', 'migrations', 'web/src', 'web/index.html', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
const OUTPUTS = ['dist/src/cli.js', 'dist/src/main.js', 'web/dist/index.html'];

/** Newest modification time under `path` (0 when it does not exist). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((latest, name) => Math.max(latest, newest(join(path, name))), stat.mtimeMs);
}

const built = Math.min(...OUTPUTS.map((file) => (existsSync(file) ? statSync(file).mtimeMs : 0)));
if (built > Math.max(...SOURCES.map(newest))) process.exit(0);
execSync('npm run -s build', { stdio: 'inherit' });
