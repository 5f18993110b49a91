import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { getNamedType, GraphQLArgument, GraphQLField, GraphQLSchema, isLeafType, isNonNullType, isObjectType } from 'graphql';
import { setNow } from '../support/activity-fixture';
import { dbFingerprint } from '../support/db-fingerprint';
import { refusalProblem } from '../support/refusal';
import { startTestApp, TestApp } from '../support/test-app';
import { Actor, Ctx } from './authorization-matrix';
import { ALL_OPERATIONS as OPERATIONS, allowedActor as allowedShopActor, buildWorldWithShop, WorldWithShop as World } from './shop-matrix';

/** Every query's first allowed actor is one of the main matrix's (the shopkeeper is never first). */
const allowedActor = (operation: string) => allowedShopActor(operation) as Actor;

/**
 * Every page cursor (`after`) and month argument of the schema's queries, at the root and
 * one field down (`me { history(after:) }`), found from the schema, gets crafted values:
 * each must be a coded BAD_USER_INPUT (or a GraphQL validation error), never an internal
 * error or an error-level log, and change nothing. `after: null` is the first page.
 */
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
/** Connections ordered by a name: any printable text is a valid first key there. */
const NAME_KEYED = new Set(['branches', 'branchResidents', 'shopItems']);
/** Cursors well-formed for a name-keyed connection (a name, then an id). */
const NAME_KEY_LOOKALIKES = new Set(['["not-a-date",<uuid>]', '["2024-02-30T00:00:00.000Z",<uuid>]', '["2024-01-01",<uuid>]']);
const CURSORS: [string, string][] = [
  ['["a","not-a-uuid"]', b64(['a', 'not-a-uuid'])],
  ['["not-a-date",<uuid>]', b64(['not-a-date', randomUUID()])],
  ['a NUL byte', b64('\u0000')],
  ['["\\u0000",<uuid>]', b64(['\u0000', randomUUID()])],
  ['["\\ud800",<uuid>] (lone surrogate)', b64(`["\\ud800","${randomUUID()}"]`)],
  ['["2024-02-30T00:00:00.000Z",<uuid>]', b64(['2024-02-30T00:00:00.000Z', randomUUID()])],
  ['["2024-01-01",<uuid>]', b64(['2024-01-01', randomUUID()])],
  ['[<iso>,"\' OR 1=1 --"]', b64([new Date().toISOString(), "' OR 1=1 --"])],
  ['["99999999999999999999"]', b64(['99999999999999999999'])],
  ['["-1"]', b64(['-1'])],
  ['["1e3"]', b64(['1e3'])],
  ['[1]', b64([1])],
  ['[null,null]', b64([null, null])],
  ['{}', b64({})],
  ['"x"', b64('x')],
  ['[[],[]]', b64([[], []])],
  ['not base64 at all', '!!!%%%'],
  ['empty', ''],
  ['a 200-character cursor', 'A'.repeat(200)],
];
const MONTHS = ['0000-01', '0099-12', '1999-12', '2100-01', '2026-13', '2026-00', '2026-1', '202601', '', ' 2026-01', '２０２６-01', "2026-01'; --", '2026-01\u0000', '9999-12'];

interface Target {
  label: string;
  document: string;
  /** Path of the argument changed, in the variables. */
  variable: string;
  kind: 'after' | 'month';
  root: string;
}

/** Variables for the arguments a request names: the required ones, the target and those the matrix's request sets. */
function variableDefs(args: readonly GraphQLArgument[], named: (a: GraphQLArgument) => boolean, prefix = ''): { defs: string[]; uses: string } {
  const used = args.filter((a) => named(a) || (isNonNullType(a.type) && a.defaultValue === undefined));
  const defs = used.map((a) => `$${prefix}${a.name}: ${a.type}`);
  const uses = used.map((a) => `${a.name}: $${prefix}${a.name}`).join(', ');
  return { defs, uses: uses ? `(${uses})` : '' };
}

/** The arguments the authorization matrix's request of a root field sets. */
function matrixArgs(root: string): Set<string> {
  return new Set([...OPERATIONS[root].query.matchAll(/\b(\w+): \$/g)].map((m) => m[1]));
}

/** Every query argument named `after` or `month`, at the root or on a field of the root's type. */
function targets(schema: GraphQLSchema): Target[] {
  const out: Target[] = [];
  const selection = (field: GraphQLField<unknown, unknown>) => (isLeafType(getNamedType(field.type)) ? '' : ' { __typename }');
  for (const root of Object.values(schema.getQueryType()!.getFields())) {
    const set = matrixArgs(root.name);
    for (const arg of root.args) {
      if (arg.name !== 'after' && arg.name !== 'month') continue;
      const r = variableDefs(root.args, (a) => a === arg || set.has(a.name));
      out.push({
        label: `${root.name}(${arg.name})`,
        document: `query${r.defs.length ? `(${r.defs.join(', ')})` : ''} { ${root.name}${r.uses}${selection(root)} }`,
        variable: arg.name,
        kind: arg.name,
        root: root.name,
      });
    }
    const type = getNamedType(root.type);
    if (!isObjectType(type)) continue;
    const r = variableDefs(root.args, (a) => set.has(a.name));
    for (const field of Object.values(type.getFields())) {
      for (const arg of field.args) {
        if (arg.name !== 'after' && arg.name !== 'month') continue;
        const f = variableDefs(field.args, (a) => a === arg, 'sub_');
        const defs = [...r.defs, ...f.defs];
        out.push({
          label: `${root.name} { ${field.name}(${arg.name}) }`,
          document: `query(${defs.join(', ')}) { ${root.name}${r.uses} { ${field.name}${f.uses}${selection(field)} } }`,
          variable: `sub_${arg.name}`,
          kind: arg.name,
          root: root.name,
        });
      }
    }
  }
  return out;
}



describe('cursors and months of every query, generated from the schema', () => {
  let t: TestApp;
  let w: World;
  let ctx: Ctx;
  let schema: GraphQLSchema;
  let errorLogs: jest.SpyInstance;

  beforeAll(async () => {
    t = await startTestApp();
    ({ world: w, ctx } = await buildWorldWithShop(t));
    schema = t.app.get(GraphQLSchemaHost).schema;
    errorLogs = jest.spyOn(Logger.prototype, 'error');
  }, 60_000);
  afterAll(async () => {
    errorLogs?.mockRestore();
    await t?.close();
  });
  afterEach(() => setNow(t, null));

  it('finds the cursor and month arguments it is meant to cover', () => {
    const labels = targets(schema).map((x) => x.label);
    for (const expected of ['branches(after)', 'me { history(after) }', 'me { passbook(after) }', 'activities(after)', 'settlement(month)', 'monthlyStatement(month)', 'publishedThemes(month)']) {
      expect(labels).toContain(expected);
    }
    expect(labels.length).toBeGreaterThan(15);
  });

  it('refuses every crafted cursor and month with a coded error, logging no error and changing nothing', async () => {
    const problems: string[] = [];
    for (const target of targets(schema)) {
      const op = OPERATIONS[target.root];
      const actor: Actor = allowedActor(target.root);
      if (op.at) setNow(t, op.at(w));
      const base = await op.variables(w, actor, ctx);
      const send = (value: unknown) => ctx.as(actor, target.document, { ...base, [target.variable]: value });

      // The untouched request works, and `after: null` is the first page.
      const validValue = target.kind === 'after' ? null : (base.month ?? w.thisMonth);
      const valid = await send(validValue);
      if (valid.errors) problems.push(`${target.label} = ${validValue}: ${JSON.stringify(valid.errors[0])}`);

      const before = await dbFingerprint(t.db.dataSource);
      errorLogs.mockClear();
      const values = target.kind === 'after' ? CURSORS : MONTHS.map((m) => [JSON.stringify(m), m] as [string, string]);
      for (const [label, value] of values) {
        const res = await send(value);
        if (NAME_KEYED.has(target.root) && NAME_KEY_LOOKALIKES.has(label)) {
          if (res.errors) problems.push(`${target.label} = ${label}: a valid name key refused: ${JSON.stringify(res.errors[0])}`);
          continue;
        }
        // One field down (me { history }), the refusal nulls that field and `me` still answers.
        const problem = refusalProblem(target.variable.startsWith('sub_') ? { errors: res.errors } : res);
        if (problem) problems.push(`${target.label} = ${label}: ${problem}`);
      }
      if (errorLogs.mock.calls.length) problems.push(`${target.label}: error logged: ${String(errorLogs.mock.calls[0][0]).slice(0, 200)}`);
      if (JSON.stringify(await dbFingerprint(t.db.dataSource)) !== JSON.stringify(before)) problems.push(`${target.label}: changed the database`);
      setNow(t, null);
    }
    expect(problems).toEqual([]);
  });

  it('treats after: null as no cursor on every connection', async () => {
    const afterTargets = targets(schema).filter((x) => x.kind === 'after');
    for (const target of afterTargets) {
      const op = OPERATIONS[target.root];
      const actor: Actor = allowedActor(target.root);
      if (op.at) setNow(t, op.at(w));
      const base = await op.variables(w, actor, ctx);
      const omitted = await ctx.as(actor, target.document, base);
      const explicitNull = await ctx.as(actor, target.document, { ...base, [target.variable]: null });
      expect({ target: target.label, errors: explicitNull.errors }).toEqual({ target: target.label, errors: undefined });
      expect(explicitNull.data).toEqual(omitted.data);
      setNow(t, null);
    }
  });
});
