import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The walls between modules, checked on the source text (a reader of a table or an
 * import from infrastructure into a feature is invisible to the compiler).
 */
const SRC = resolve(__dirname, '../../src');

/** Folders every module may use; they import nothing but each other. */
const INFRASTRUCTURE = ['common', 'config', 'database', 'graphql', 'jobs', 'observability'];

/** Who owns which table: only that module's files name it in SQL. */
const TABLE_OWNERS: Record<string, string[]> = {
  ledger: ['account', 'account_balance', 'account_period_balance', 'journal_entry', 'posting', 'ledger_period', 'ledger_seal'],
  organisation: ['township', 'branch', 'service_team', 'person', 'resident', 'role_assignment'],
  auth: ['binding_code', 'login_ticket'],
  audit: ['audit_log'],
  activities: ['activity', 'activity_signup'],
  courses: ['course', 'course_enrolment'],
  themes: ['theme', 'theme_publication', 'theme_publication_item'],
  settlement: ['settlement', 'settlement_branch'],
  honours: ['honour_setting', 'star_level', 'honour_month', 'honour_earning', 'monthly_star'],
  households: ['household', 'household_member', 'household_dependent'],
  shop: ['shop', 'shop_item', 'shop_stock_receipt', 'shop_redemption'],
  deeds: ['deed_setting', 'deed_kind', 'deed_scorer', 'deed_photo', 'deed_report', 'deed_recheck'],
  policy: ['township_policy', 'points_expiry_run'],
  certificates: ['service_certificate'],
  notifications: ['notification_event', 'notification', 'notification_setting'],
};

/**
 * Reads of another module's tables not yet moved behind that module's repository:
 * `file: [tables]`. Empty since every module asks the owner; keep it so (an entry no
 * longer needed fails too).
 */
const NOT_YET_MOVED: Record<string, string[]> = {};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [join(dir, e.name)] : [],
  );
}

const moduleOf = (file: string) => relative(SRC, file).split(sep)[0];
const files = sourceFiles(SRC);

/** Every relative import of a file, as an absolute path (type-only and dynamic imports included). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)['"](\.[^'"]+)['"]/gm)].map((m) => m[1]);
  return specifiers.map((s) => resolve(dirname(file), s));
}

/** Tables a file names in SQL: after FROM, JOIN, INTO, UPDATE or TABLE. */
function tablesNamedIn(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...new Set([...text.matchAll(/\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+([a-z_]+)\b/g)].map((m) => m[1]))];
}

const ownerOf = new Map(Object.entries(TABLE_OWNERS).flatMap(([module, tables]) => tables.map((t) => [t, module] as const)));

describe('module walls', () => {
  it('infrastructure imports no feature module and not the ledger', () => {
    const upward = files
      .filter((f) => INFRASTRUCTURE.includes(moduleOf(f)))
      .flatMap((f) =>
        importsOf(f)
          .filter((target) => target.startsWith(SRC + sep))
          .filter((target) => !INFRASTRUCTURE.includes(moduleOf(target)))
          .map((target) => `${relative(SRC, f)} imports ${relative(SRC, target)}`),
      );
    expect(upward).toEqual([]);
  });

  it('the import scan sees imports (it would catch one)', () => {
    const jobWorkers = files.find((f) => f.endsWith(join('jobs', 'job-workers.ts')))!;
    expect(importsOf(jobWorkers)).toContain(join(SRC, 'config', 'app-config'));
  });

  it("no file names another module's table in SQL", () => {
    const crossings: Record<string, string[]> = {};
    for (const file of files) {
      const module = moduleOf(file);
      const foreign = tablesNamedIn(file).filter((t) => ownerOf.has(t) && ownerOf.get(t) !== module);
      if (foreign.length) crossings[relative(SRC, file)] = foreign.sort();
    }
    expect(crossings).toEqual(NOT_YET_MOVED);
  });

  it('the ownership map covers every table the migrations create, once', () => {
    const migrations = readdirSync(resolve(SRC, '../migrations')).filter((f) => /^\d+-.*\.ts$/.test(f));
    const created = migrations.flatMap((f) =>
      [...readFileSync(resolve(SRC, '../migrations', f), 'utf8').matchAll(/CREATE TABLE (?:IF NOT EXISTS )?([a-z_]+)/g)].map((m) => m[1]),
    );
    const owned = Object.values(TABLE_OWNERS).flat();
    expect(new Set(owned).size).toBe(owned.length);
    expect([...new Set(created)].sort()).toEqual([...owned].sort());
  });

  it('the SQL scan sees table names (it would catch one)', () => {
    const ledgerService = files.find((f) => f.endsWith(join('ledger', 'ledger.service.ts')))!;
    expect(tablesNamedIn(ledgerService)).toEqual(expect.arrayContaining(['posting', 'journal_entry']));
  });
});
