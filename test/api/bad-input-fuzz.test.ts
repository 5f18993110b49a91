import { randomUUID } from 'node:crypto';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import {
  getNamedType,
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLInputType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLScalarType,
  GraphQLSchema,
  isLeafType,
} from 'graphql';
import { setNow } from '../support/activity-fixture';
import { dbFingerprint } from '../support/db-fingerprint';
import { refusalProblem } from '../support/refusal';
import { startTestApp, TestApp } from '../support/test-app';
import { Ctx, OPERATIONS } from './authorization-matrix';
import { ALL_OPERATIONS, ALL_TABLE, allowedActor, buildWorldWithShop, expectedOutcome, ShopActor as Actor, WorldWithShop as World } from './shop-matrix';

/**
 * Bad input for every mutation of the schema (issue 6), generated from the schema.
 *
 * Each mutation starts from a valid request (the authorization matrix's, made by the
 * first actor the matrix allows) and every argument and input field, present or not,
 * is replaced in turn by values its GraphQL type makes wrong: null where required,
 * missing, wrong types, out-of-range numbers, malformed ids, unknown enum values and
 * fields, empty/blank/overlong strings, control characters, SQL and script fragments.
 * Each must get a coded error (never INTERNAL_SERVER_ERROR) with a Chinese message and
 * leave the database fingerprint unchanged; the untouched request must then succeed,
 * which proves the refusals were about the value changed. Free text (names, titles,
 * reasons) may legitimately hold emoji, mixed scripts and SQL- or script-looking text:
 * those may succeed, but then must be stored exactly as sent.
 */

type TextKind = 'required' | 'optional';

interface FuzzSetup {
  /** Free-text fields by path ("input.title"): required (non-blank) or optional (may be empty). Other strings are formats. */
  text?: Record<string, TextKind>;
  /** In-range numbers that are legitimately valid for a field (they may succeed). */
  validInts?: Record<string, number[]>;
  /** Ids where one that is well-formed but of nothing is a legitimate no-op (revoking a role nobody holds): answered, nothing changed. */
  noopIds?: string[];
  /** A fresh valid request, when the matrix's can be made only once (reversing an entry, cancelling an activity). */
  variables?: (w: World, ctx: Ctx) => Promise<Record<string, unknown>>;
}

const NAME: Record<string, TextKind> = { 'input.name': 'required' };

/** Every mutation must be here: a new mutation without an entry fails the first test. */
const FUZZ: Record<string, FuzzSetup> = {
  addTheme: { text: { 'input.title': 'required', 'input.description': 'optional' }, validInts: { 'input.suggestedPoints': [0] } },
  appointBranchManager: { text: NAME },
  appointTownshipAdmin: { text: NAME },
  bindWechat: {},
  bindWechatWeb: {},
  chooseTownship: {},
  cancelActivity: {
    text: { 'input.reason': 'required' },
    variables: async (w, ctx) => ({ input: { id: await newActivity(w, ctx), reason: '天气原因' } }),
  },
  cancelCourse: {
    text: { 'input.reason': 'required' },
    variables: async (w, ctx) => ({ input: { id: await newCourse(w, ctx), reason: '老师临时有事' } }),
  },
  cancelEnrolment: {},
  cancelSignup: {},
  checkIn: {},
  checkOut: {},
  completeActivity: {},
  createActivity: { text: { 'input.title': 'required', 'input.place': 'required', 'input.description': 'optional' } },
  createBranch: { text: NAME },
  createCourse: { text: { 'input.title': 'required', 'input.place': 'required', 'input.description': 'optional' } },
  createServiceTeam: { text: NAME },
  devLogin: {},
  enrolInCourse: {},
  loginWithWechat: {},
  loginWithWechatWeb: {},
  loginWithTicket: {},
  markAttendance: {},
  postAdjustment: { text: { 'input.reason': 'required' }, validInts: { 'input.amount': [-1] } },
  publishActivity: {},
  publishThemes: {},
  recordCheckOut: {},
  requestServiceCertificate: {},
  registerResident: { text: NAME },
  issueBindingCode: {},
  removeTheme: {},
  reverseEntry: {
    text: { 'input.reason': 'required' },
    // Each reversal needs an entry of its own: an entry is reversed once.
    variables: async (w, ctx) => {
      const res = await ctx.as('admA', `mutation($input: AdjustmentInput!) { postAdjustment(input: $input) { id } }`, {
        input: { accountId: w.residentA1.accountId, amount: 1, reason: '待冲正', idempotencyKey: `fuzz-${randomUUID()}` },
      });
      return { input: { entryId: res.data.postAdjustment.id, reason: '录入错误' } };
    },
  },
  revokeBranchManager: { noopIds: ['input.personId'] },
  revokeTownshipAdmin: { noopIds: ['input.personId'] },
  signUpForActivity: {},
  setStarLevels: { text: { 'input.levels.0.name': 'required' }, validInts: { 'input.levels.0.threshold': [100_001] } },
  setStarsPerBranch: {},
  setStarBasis: {},
  startSettlement: {},
  updateActivity: { text: { 'input.title': 'required', 'input.place': 'required', 'input.description': 'optional' } },
  updateCourse: { text: { 'input.title': 'required', 'input.place': 'required', 'input.description': 'optional' } },
  // ---- households
  createHousehold: {},
  addHouseholdMember: {},
  removeHouseholdMember: {},
  addHouseholdDependent: { text: NAME, validInts: { 'input.birthYear': [] } },
  removeHouseholdDependent: {},
  signUpForFamily: {},
  cancelSignupForFamily: {},
  checkInDependent: {},
  markDependentAttendance: {},
  enrolDependentInCourse: {},
  cancelDependentEnrolment: {},
  // ---- the points shop
  appointShopkeeper: { text: NAME },
  revokeShopkeeper: { noopIds: ['input.personId'] },
  updateShop: { text: { 'input.place': 'required', 'input.note': 'optional' } },
  createShopItem: { text: { 'input.name': 'required', 'input.unit': 'required', 'input.description': 'optional' } },
  updateShopItem: { text: { 'input.name': 'required', 'input.unit': 'required', 'input.description': 'optional' } },
  recordStockReceipt: { text: { 'input.donorName': 'required', 'input.note': 'optional' }, validInts: { 'input.unitPoints': [0] } },
  redeemShopItem: {},
  confirmShopPickup: {},
  cancelShopRedemption: { text: { 'input.reason': 'required' } },
  // ---- good deeds
  saveDeedKind: { text: { 'input.name': 'required' } },
  setDeedNoticeDays: {},
  appointScorer: {},
  removeScorer: {},
  reportDeed: { text: { 'input.title': 'required', 'input.description': 'optional' } },
  reviewDeedReport: { text: { 'input.reason': 'required' } },
  requestDeedRecheck: { text: { 'input.reason': 'required' } },
  // Optional fields: each given alone changes only itself; a month or day alone with the mode NONE is ignored.
  updateTownshipPolicy: {
    validInts: { 'input.minAttendancePercent': [0, 1, 100], 'input.expiryMonth': [1, 12], 'input.expiryDay': [1, 31], 'input.expiryNoticeDays': [1, 180] },
  },
  // ---- notifications
  markNotificationRead: {},
  markAllNotificationsRead: {},
  setNotificationPreference: {},
  acceptWechatTemplates: {},
};

async function newActivity(w: World, ctx: Ctx): Promise<string> {
  const res = await ctx.as('mgrA1', OPERATIONS.createActivity.query, await OPERATIONS.createActivity.variables(w, 'mgrA1', ctx));
  return res.data.createActivity.id;
}

async function newCourse(w: World, ctx: Ctx): Promise<string> {
  const res = await ctx.as('mgrA1', OPERATIONS.createCourse.query, await OPERATIONS.createCourse.variables(w, 'mgrA1', ctx));
  return res.data.createCourse.id;
}

// ---- the values ------------------------------------------------------------------

const INT32_MAX = 2_147_483_647;
/** Not GraphQL Ints at all, and in-range numbers no field of ours takes unless listed in validInts. */
const INTS_NEVER: unknown[] = [INT32_MAX + 1, -INT32_MAX - 2, 1e20, 1.5, -0.5, '5', true, [1], { n: 1 }];
const INTS_USUALLY: number[] = [0, -1, INT32_MAX, -INT32_MAX - 1, 100_001];
/** Well-formed ids of nothing. */
const WELL_FORMED_UNKNOWN: unknown[] = [randomUUID(), '00000000-0000-0000-0000-000000000000'];
const BAD_IDS: unknown[] = [
  'not-a-uuid',
  '',
  '   ',
  "'; DROP TABLE account; --",
  '<script>alert(1)</script>',
  '123',
  '-1',
  '1.5',
  '１２３',
  `${randomUUID()} `,
  `${randomUUID()}0`,
  randomUUID().replace(/-/g, ''),
  ...WELL_FORMED_UNKNOWN,
  '🌸',
  12345,
  true,
  { id: 1 },
];
const BAD_DATES: unknown[] = ['not-a-date', '', '2024-13-01T00:00:00Z', '2024-02-30T00:00:00Z', '1970-01-01T00:00:00Z', 'now', 12345, true, {}];
/** What a client might send for a Boolean that GraphQL must not coerce. */
const BAD_BOOLEANS: unknown[] = ['true', 'false', 1, 0, '', 'yes', [true], { value: true }];
const BAD_ENUMS: unknown[] = ['UNKNOWN', 'present', '', "' OR 1=1 --", 1, true];
/** Never valid in any string: control characters, bidi overrides, invisible characters, wrong types. */
const STRINGS_NEVER: unknown[] = ['a\u0000b', '李\u0007四', 'x\u001b[31m', '\u202e因原', '张\u200b三', '王\ufeff五', '\u2066李\u2069', 12345, true, ['a'], { text: 'a' }];
/** Too long for any field of ours. */
const OVERLONG = ['x'.repeat(10_001), '村'.repeat(2_001)];
const BLANK = ['', '   ', '\u3000'];
const BAD_MONTHS = ['0000-01', '0099-12', '1999-12', '2100-01', '2026-13', '2026-00', '2026-1', '２０２６-01'];
/** Invisible or unstorable code points, a sample of each Unicode class refused by property (see text.validators.ts). */
const INVISIBLE = ['\u00ad', '\u3164', '\u180e', '\u2061', '\u034f', '\ud800', '\udc00', '\ue000', '\u{f0000}', '\u200b', '\u2028', '\u{e0001}', '\ufe0f'];
/** Legitimate in free text; refused in formatted strings (mobiles, months, keys, codes). */
const UNUSUAL_TEXT = ['李🌸Anna', 'Ōtsuka 大塚 Анна', '👨‍👩‍👧 家庭', "Robert'); DROP TABLE person;--", '<script>alert(1)</script>', 'مرحبا 你好'];
const SQL_AND_SCRIPT = ["'; DROP TABLE posting; --", "1' OR '1'='1", '<img src=x onerror=alert(1)>', '${7*7}', '../../etc/passwd'];

interface Variant {
  label: string;
  path: string[];
  /** undefined: the field or argument is left out. */
  value: unknown;
  /** 'refuse': must be a coded error; 'may': may succeed (then stored exactly); 'noop': may succeed but changes nothing. */
  expect: 'refuse' | 'may' | 'noop';
}

function variantsFor(type: GraphQLInputType, path: string[], base: unknown, setup: FuzzSetup, hasDefault = false): Variant[] {
  const out: Variant[] = [];
  const key = path.join('.');
  const add = (value: unknown, expect: Variant['expect'] = 'refuse', label = JSON.stringify(value)?.slice(0, 40) ?? 'undefined') =>
    out.push({ label: `${key} = ${label}`, path, value, expect });

  let inner = type;
  if (type instanceof GraphQLNonNull) {
    add(null);
    // Left out, a field with a default takes it (description: "").
    if (!hasDefault) add(undefined, 'refuse', '(missing)');
    inner = type.ofType;
  }
  if (inner instanceof GraphQLList) {
    const element = Array.isArray(base) && base.length ? base[0] : undefined;
    add([], 'refuse');
    add(Array.from({ length: 501 }, () => element ?? randomUUID()), 'refuse', '[501 items]');
    add([null], 'refuse');
    for (const v of variantsFor(inner.ofType as GraphQLInputType, [...path, '0'], element, setup)) {
      if (v.value !== undefined) out.push({ ...v, path, value: [v.value], label: `${key} = [${v.label.split(' = ')[1]}]` });
    }
    return out;
  }
  if (inner instanceof GraphQLInputObjectType) {
    const object = (base ?? {}) as Record<string, unknown>;
    add({ ...object, isAdmin: true }, 'refuse', '{ …, isAdmin: true } (unknown field)');
    add('not an object', 'refuse');
    for (const field of Object.values(inner.getFields())) out.push(...variantsFor(field.type, [...path, field.name], object[field.name], setup, field.defaultValue !== undefined));
    return out;
  }
  if (inner instanceof GraphQLEnumType) {
    for (const v of BAD_ENUMS) add(v);
    return out;
  }
  const scalar = (inner as GraphQLScalarType).name;
  switch (scalar) {
    case 'Int':
      for (const v of INTS_NEVER) add(v);
      for (const v of INTS_USUALLY) add(v, setup.validInts?.[key]?.includes(v) ? 'may' : 'refuse');
      for (const v of setup.validInts?.[key] ?? []) if (!INTS_USUALLY.includes(v)) add(v, 'may');
      break;
    case 'ID':
      for (const v of BAD_IDS) add(v, WELL_FORMED_UNKNOWN.includes(v) && setup.noopIds?.includes(key) ? 'noop' : 'refuse');
      break;
    case 'DateTime':
      for (const v of BAD_DATES) add(v);
      break;
    case 'Boolean':
      for (const v of BAD_BOOLEANS) add(v);
      break;
    case 'String': {
      const text = setup.text?.[key];
      // Months no township has: refused before they reach SQL (0099-12 made a junk settlement).
      if (path[path.length - 1] === 'month') for (const v of BAD_MONTHS) add(v);
      for (const v of [...STRINGS_NEVER, ...OVERLONG]) add(v);
      if (text) for (const c of INVISIBLE) add(`张${c}三`, 'refuse', `张U+${c.codePointAt(0)!.toString(16).toUpperCase()}三`);
      if (text) for (const c of ['\u3164', '\u00ad', '\u200b\u200b']) add(c, 'refuse', `only U+${c.codePointAt(0)!.toString(16).toUpperCase()}`);
      for (const v of BLANK) add(v, text === 'optional' ? 'may' : 'refuse');
      for (const v of [...UNUSUAL_TEXT, ...SQL_AND_SCRIPT]) add(v, text ? 'may' : 'refuse');
      // Some free text takes several lines (reasons, descriptions), some one (names): either answer is fine.
      if (text) add('第一行\n第二行', 'may');
      break;
    }
    default:
      throw new Error(`no bad values for the scalar ${scalar} (${key}): add them`);
  }
  return out;
}

function withValue(base: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(base);
  let at: any = copy;
  for (const step of path.slice(0, -1)) {
    if (at[step] === undefined || at[step] === null || typeof at[step] !== 'object') at[step] = {};
    at = at[step];
  }
  const last = path[path.length - 1];
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

/** The mutation with every argument a variable of its own name, selecting only what it must. */
function documentFor(schema: GraphQLSchema, name: string): string {
  const field = schema.getMutationType()!.getFields()[name];
  const defs = field.args.map((a) => `$${a.name}: ${a.type}`).join(', ');
  const args = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
  const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
  return `mutation${defs ? `(${defs})` : ''} { ${name}${args ? `(${args})` : ''}${selection} }`;
}



describe('bad input for every mutation, generated from the schema', () => {
  let t: TestApp;
  let w: World;
  let ctx: Ctx;
  let schema: GraphQLSchema;
  /** true when a string is stored, exactly, in some text column. */
  let storedExactly: (value: string) => Promise<boolean>;

  beforeAll(async () => {
    // A configured WeChat template, so acceptWechatTemplates has a valid request.
    t = await startTestApp({ WECHAT_TEMPLATE_POINTS: 'tmpl-points' });
    ({ world: w, ctx } = await buildWorldWithShop(t));
    schema = t.app.get(GraphQLSchemaHost).schema;
    const columns: { table: string; column: string }[] = await t.db.dataSource.query(
      `SELECT c.table_name AS table, c.column_name AS column FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema AND t.table_type = 'BASE TABLE'
       WHERE c.table_schema = 'public' AND c.data_type IN ('text', 'character varying')`,
    );
    const sql = `SELECT EXISTS (${columns.map((c) => `SELECT 1 FROM "${c.table}" WHERE "${c.column}" = $1`).join(' UNION ALL ')}) AS found`;
    storedExactly = async (value) => (await t.db.dataSource.query(sql, [value]))[0].found;
  }, 120_000);
  afterAll(() => t?.close());
  afterEach(() => setNow(t, null));

  it('has a fuzz entry for every mutation of the schema', () => {
    expect(Object.keys(schema.getMutationType()!.getFields()).sort()).toEqual(Object.keys(FUZZ).sort());
  });

  it.each(Object.keys(FUZZ))('%s: every invalid value is a coded error and changes nothing', async (name) => {
    const setup = FUZZ[name];
    const op = ALL_OPERATIONS[name] as any;
    const field = schema.getMutationType()!.getFields()[name];
    if (!field) return; // reported by the test above
    const publicCode = ALL_TABLE[name].split(/\s+/).length === 1 ? ALL_TABLE[name] : null;
    const actor: Actor = publicCode ? 'anon' : allowedActor(name);
    const document = documentFor(schema, name);
    const valid = () => (setup.variables ? setup.variables(w, ctx) : Promise.resolve(op.variables(w, actor, ctx)));
    const send = (variables: Record<string, unknown>) => ctx.as(actor as never, document, variables);
    if (op.at) setNow(t, op.at(w));

    const base = await valid();
    const variants = field.args.flatMap((arg) => variantsFor(arg.type, [arg.name], base[arg.name], setup));
    const problems: string[] = [];

    // Refusals, before the valid request uses up what it acts on.
    const before = await dbFingerprint(t.db.dataSource);
    for (const v of variants.filter((v) => v.expect === 'refuse')) {
      const problem = refusalProblem(await send(withValue(base, v.path, v.value)));
      if (problem) problems.push(`${v.label}: ${problem}`);
    }
    expect(problems).toEqual([]);
    expect(await dbFingerprint(t.db.dataSource)).toEqual(before);

    // The request they were made from is valid: they were refused for the value changed.
    const res = await send(base);
    if (publicCode) expect(res.errors?.[0]?.extensions?.code).toBe(publicCode);
    else {
      expect({ actor, outcome: expectedOutcome(name, actor), errors: res.errors }).toEqual({ actor, outcome: 'OK', errors: undefined });
      if (name === 'publishThemes') await op.check!({ publishThemes: { townshipId: w.townshipA } }, w, actor, ctx); // waits for the job
    }

    // Unusual but legitimate values: anything but an internal error; stored exactly when accepted.
    for (const v of variants.filter((v) => v.expect !== 'refuse')) {
      const variables = withValue(await valid(), v.path, v.value);
      const fingerprint = await dbFingerprint(t.db.dataSource);
      const answer = await send(variables);
      if (answer.errors) {
        const problem = refusalProblem(answer);
        if (problem) problems.push(`${v.label}: ${problem}`);
        else if (JSON.stringify(await dbFingerprint(t.db.dataSource)) !== JSON.stringify(fingerprint)) problems.push(`${v.label}: refused but changed the database`);
      } else if (v.expect === 'noop') {
        if (JSON.stringify(await dbFingerprint(t.db.dataSource)) !== JSON.stringify(fingerprint)) problems.push(`${v.label}: a no-op changed the database`);
      } else if (typeof v.value === 'string' && v.value.trim() !== '' && !(await storedExactly(v.value))) {
        problems.push(`${v.label}: accepted but not stored exactly`);
      }
    }
    expect(problems).toEqual([]);
  });
});
