import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { buildSchemaFromResolvers, renderSchema, writeSchemaFile } from '../../src/graphql/schema-file';
import { resolvers } from '../../src/schema-resolvers';
import { startTestApp, TestApp } from '../support/test-app';

const SCHEMA_FILE = join(__dirname, '../../schema.gql');
const STALE = 'schema.gql is stale: run `npm run build` and commit schema.gql';

/** Fails with the first differing line, so the message points at what changed. */
function expectSameSchema(actual: [string, string], expected: [string, string], hint: string) {
  if (actual[1] === expected[1]) return;
  const a = actual[1].split('\n');
  const e = expected[1].split('\n');
  const line = a.findIndex((text, i) => text !== e[i]);
  const at = (lines: string[]) => lines[line] ?? '(end of file)';
  throw new Error(`${hint}\nfirst difference at line ${line + 1}:\n  ${expected[0]}: ${at(e)}\n  ${actual[0]}: ${at(a)}`);
}

describe('schema.gql', () => {
  let t: TestApp | undefined;
  afterAll(() => t?.close());

  it('is rewritten only when its text changes (the build, and `npm run dev` on each restart)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-schema-'));
    try {
      const file = join(dir, 'schema.gql');
      const schema = await buildSchemaFromResolvers(resolvers);
      expect(writeSchemaFile(schema, file)).toBe(true);
      const past = new Date('2020-01-01T00:00:00Z');
      utimesSync(file, past, past);
      expect(writeSchemaFile(schema, file)).toBe(false);
      expect(statSync(file).mtime).toEqual(past);
      expect(readFileSync(file, 'utf8')).toBe(renderSchema(schema));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is what the code-first resolvers print', async () => {
    const printed = renderSchema(await buildSchemaFromResolvers(resolvers));
    expectSameSchema(['printed from code', printed], ['schema.gql       ', readFileSync(SCHEMA_FILE, 'utf8')], STALE);
  });

  it("is the running app's schema: src/schema-resolvers.ts lists every resolver", async () => {
    t = await startTestApp();
    const served = renderSchema(t.app.get(GraphQLSchemaHost).schema);
    // served = printed here and printed = schema.gql above make served = schema.gql.
    expectSameSchema(
      ['served by the app           ', served],
      ['printed from resolvers.ts   ', renderSchema(await buildSchemaFromResolvers(resolvers))],
      'the running app serves another schema than the resolvers in src/schema-resolvers.ts print: add the missing resolver there',
    );
  });
});
