import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, DocumentNode, Kind, parse, validate } from 'graphql';
import { DomainError } from '../common/errors/domain.error';
import { queryLimits } from './query-limits';

const schema = buildSchema(readFileSync(join(__dirname, '../../schema.gql'), 'utf8'));
const limits = queryLimits({ maxDepth: 10, maxCost: 5000, maxAliases: 15, maxDirectives: 10, maxTokens: 2000, maxRootFields: 15 });

/** What validation says of a document once the cost guard has seen it, as Apollo runs them. */
async function refusalCode(document: DocumentNode): Promise<string | undefined> {
  const context = { schema, document } as { schema: typeof schema; document: DocumentNode };
  const listener = await limits.plugin.requestDidStart!(context as never);
  await (listener as { validationDidStart(c: unknown): Promise<void> }).validationDidStart(context);
  const [error] = validate(schema, context.document, limits.validationRules);
  return error && (error.originalError as DomainError | undefined)?.code;
}

describe('query limits: the cost guard fails closed', () => {
  it('accepts an ordinary query', async () => {
    expect(await refusalCode(parse(`{ me { name balance history(first: 20) { edges { node { amount } } } } }`))).toBeUndefined();
  });

  it.each<[string, (doc: DocumentNode) => void]>([
    ['a field without a name', (doc) => Object.assign(firstField(doc), { name: undefined })],
    ['arguments that are not a list', (doc) => Object.assign((firstField(doc) as { selectionSet: { selections: object[] } }).selectionSet.selections[0], { arguments: 5 })],
    ['a selection set that is not a list', (doc) => Object.assign(firstField(doc), { selectionSet: { kind: Kind.SELECTION_SET, selections: 7 } })],
  ])('refuses when pricing throws: %s', async (_, corrupt) => {
    const doc = parse(`{ me { history(first: 20) { edges { cursor } } } }`);
    corrupt(doc);
    expect(await refusalCode(doc)).toBe('QUERY_TOO_COMPLEX');
  });
});

function firstField(doc: DocumentNode) {
  const operation = doc.definitions[0] as unknown as { selectionSet: { selections: object[] } };
  return operation.selectionSet.selections[0];
}
