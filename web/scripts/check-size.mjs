// Prints the gzipped size of every JavaScript chunk of the build and, per role, what its
// first screen loads (the entry, the screen's chunk, and everything they import
// statically). Fails when the resident's first screen is over budget.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 200;
const dist = new URL('../dist/', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8'));
const gzipKb = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length / 1024;

/** Every JS file a manifest key loads before it runs: itself and its static imports, recursively. */
function closure(key, seen = new Set()) {
  const chunk = manifest[key];
  if (!chunk || seen.has(chunk.file)) return seen;
  seen.add(chunk.file);
  for (const imported of chunk.imports ?? []) closure(imported, seen);
  return seen;
}

const rows = Object.values(manifest)
  .filter((c) => c.file.endsWith('.js'))
  .map((c) => ({ file: c.file, kb: gzipKb(c.file) }))
  .sort((a, b) => b.kb - a.kb);
console.log('JavaScript chunks (gzip -9):');
for (const r of rows) console.log(`  ${r.kb.toFixed(1).padStart(7)} KB  ${r.file}`);

const FIRST_SCREENS = {
  'resident (home)': 'src/views/resident/ResidentHome.vue',
  'sign-in': 'src/views/LoginView.vue',
  'manager (month)': 'src/views/manager/BranchMonth.vue',
  'admin (themes)': 'src/views/admin/ThemesView.vue',
  'admin (settlement, chart loaded)': ['src/views/admin/SettlementView.vue', 'src/components/FiguresChart.vue'],
};
console.log('First screens:');
let over = false;
for (const [name, keys] of Object.entries(FIRST_SCREENS)) {
  const files = new Set(closure('index.html'));
  for (const key of [keys].flat()) {
    if (!manifest[key]) throw new Error(`no chunk for ${key} in the build manifest`);
    closure(key, files);
  }
  const kb = [...files].reduce((sum, f) => sum + gzipKb(f), 0);
  const budget = name.startsWith('resident') ? ` (budget ${BUDGET_KB} KB)` : '';
  console.log(`  ${kb.toFixed(1).padStart(7)} KB  ${name}${budget}`);
  if (budget && kb > BUDGET_KB) over = true;
}
if (over) {
  console.error(`The resident's first screen is over ${BUDGET_KB} KB of gzipped JavaScript.`);
  process.exit(1);
}
