import { ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  DocumentNode,
  FragmentDefinitionNode,
  parse,
  GraphQLError,
  GraphQLNamedType,
  GraphQLSchema,
  getNamedType,
  isObjectType,
  isInterfaceType,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
  ValidationContext,
  ValidationRule,
} from 'graphql';
import { DomainError } from '../common/errors/domain.error';
import { MAX_PAGE_SIZE } from '../common/pagination/connection';

export interface QueryLimits {
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  maxRootFields: number;
}

/**
 * Everything that bounds what one GraphQL document may cost, as Apollo options:
 *
 * - `parseOptions.maxTokens`: the parser stops at the token limit, so a huge document
 *   costs no more than reading that many tokens;
 * - the cost guard (a plugin at `validationDidStart`, before graphql-js's own rules
 *   run): one pass over the document with each fragment priced once (memoised), so a
 *   fragment spread twice in each of 28 fragments costs 28 steps, not 2^28. A field costs
 *   1, a connection costs its page size times what one item costs (a `first` given as a
 *   variable is priced at the largest page, since the price belongs to the document and
 *   Apollo validates each distinct document once). Any failure while pricing refuses.
 *   A refused document is not validated at all: graphql-js's own rules are quadratic on
 *   some shapes (400 unaliased `me { balance }` take ~250 ms), so the guard hands Apollo
 *   a one-field stand-in whose validation reports the refusal (see refusalRule);
 * - GraphQL Armor's max depth, max aliases and max directives rules (also memoised per
 *   fragment), run once per distinct document with graphql-js's validation.
 *
 * Refusals are QUERY_TOO_COMPLEX, before anything runs.
 */
export function queryLimits(limits: QueryLimits) {
  const refuse =
    (what: (n: string) => string) =>
    (context: ValidationContext | null, error: GraphQLError) => {
      // Armor's message ends "..., found N." (or has no count for tokens).
      const found = /found (\d+)/.exec(error.message)?.[1] ?? '?';
      context?.reportError(tooComplex(what(found)));
    };
  const armor = { exposeLimits: true, propagateOnRejection: false } as const;
  const validationRules: ValidationRule[] = [
    maxDepthRule({
      ...armor,
      n: limits.maxDepth,
      flattenFragments: true,
      onReject: [refuse((n) => `查询嵌套过深（${n} 层，上限 ${limits.maxDepth} 层）`)],
    }),
    maxAliasesRule({ ...armor, n: limits.maxAliases, onReject: [refuse((n) => `查询别名过多（${n} 个，上限 ${limits.maxAliases} 个）`)] }),
    maxDirectivesRule({ ...armor, n: limits.maxDirectives, onReject: [refuse((n) => `查询指令过多（${n} 个，上限 ${limits.maxDirectives} 个）`)] }),
  ];
  return {
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: [refusalRule, ...validationRules],
    plugin: costGuardPlugin(limits),
  };
}

/** Stand-in documents of refused requests, and why each was refused. */
const refusals = new WeakMap<DocumentNode, GraphQLError>();

/** Reports the refusal the cost guard attached to a stand-in document. */
const refusalRule: ValidationRule = (context) => ({
  Document(node) {
    const refusal = refusals.get(node);
    if (refusal) context.reportError(refusal);
  },
});

/** A parse error of graphql-js's token limit (`parseOptions.maxTokens`). */
export function isTokenLimitError(message: string): boolean {
  // graphql-js spells it "more that N tokens" (16.x).
  return /Document contains more tha[nt] \d+ tokens/.test(message);
}

function costGuardPlugin(limits: QueryLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        // Runs only for documents not yet in Apollo's validated-document cache, before
        // graphql-js validates them: an accepted document is priced once.
        async validationDidStart(requestContext) {
          const refusal = refusalOf(limits, requestContext.schema, requestContext.document);
          if (!refusal) return;
          // A throw here would be an unexpected error (500) to Apollo; a validation error is a 400.
          const standIn = parse('{ __typename }');
          refusals.set(standIn, refusal);
          (requestContext as { document: DocumentNode }).document = standIn;
        },
      };
    },
  };
}

function refusalOf(limits: QueryLimits, schema: GraphQLSchema, document: DocumentNode): GraphQLError | undefined {
  let price: DocumentPrice;
  try {
    price = priceDocument(schema, document);
  } catch {
    return tooComplex('无法估算查询成本，请简化查询');
  }
  if (price.rootFields > limits.maxRootFields) {
    return tooComplex(`一次查询的字段过多（${price.rootFields} 个，上限 ${limits.maxRootFields} 个）`, {
      rootFields: price.rootFields,
      maxRootFields: limits.maxRootFields,
    });
  }
  if (!(price.cost <= limits.maxCost)) {
    return tooComplex(`查询数据量过大（成本 ${price.cost}，上限 ${limits.maxCost}），请减少每页条数或查询字段`, {
      cost: price.cost,
      maxCost: limits.maxCost,
    });
  }
  return undefined;
}

/** A GraphQLError carrying our DomainError: formatGraphQLError keeps its code and message. */
function tooComplex(message: string, details: Record<string, unknown> = {}): GraphQLError {
  const domain = new DomainError('QUERY_TOO_COMPLEX', message, details);
  return new GraphQLError(message, { originalError: domain, extensions: { code: domain.code, http: { status: 400 } } });
}

interface DocumentPrice {
  /** The most expensive operation of the document. */
  cost: number;
  /** Root fields of the operation with the most, fragments expanded. */
  rootFields: number;
}

/**
 * Prices every operation of a document. Fragment prices do not depend on where they are
 * spread (a fragment's type is its type condition), so each is computed once. Unknown
 * fields, types and fragments cost 1 or 0 here: validation refuses them next.
 */
export function priceDocument(schema: GraphQLSchema, document: DocumentNode): DocumentPrice {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const fragmentPrices = new Map<string, { cost: number; fields: number }>();
  const pricing = new Set<string>();

  const priceSet = (set: SelectionSetNode | undefined, type: GraphQLNamedType | undefined | null): { cost: number; fields: number } => {
    let cost = 0;
    let fields = 0;
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        fields += 1;
        const name = selection.name.value;
        if (name.startsWith('__')) continue; // introspection: switched off in production instead
        const field = type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields()[name] : undefined;
        const pageArg = field?.args.find((a) => a.name === 'first');
        let pageSize = 1;
        if (pageArg) {
          const given = selection.arguments?.find((a) => a.name.value === 'first')?.value;
          pageSize =
            given?.kind === Kind.INT
              ? Number(given.value)
              : given === undefined
                ? Number(pageArg.defaultValue ?? MAX_PAGE_SIZE)
                : MAX_PAGE_SIZE; // a variable (or anything else): the largest page
          // Out-of-range page sizes are refused by validation with a clearer message.
          pageSize = Math.min(Math.max(pageSize, 1), MAX_PAGE_SIZE);
        }
        const inner = selection.selectionSet ? priceSet(selection.selectionSet, field ? getNamedType(field.type) : undefined) : { cost: 0 };
        cost += 1 + inner.cost * pageSize;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const inner = priceSet(selection.selectionSet, selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type);
        cost += inner.cost;
        fields += inner.fields;
      } else {
        const inner = priceFragment(selection.name.value);
        cost += inner.cost;
        fields += inner.fields;
      }
    }
    return { cost, fields };
  };

  const priceFragment = (name: string): { cost: number; fields: number } => {
    const known = fragmentPrices.get(name);
    if (known) return known;
    const fragment = fragments.get(name);
    // Unknown or cyclic: graphql-js validation refuses both (NoFragmentCycles is linear).
    if (!fragment || pricing.has(name)) return { cost: 0, fields: 0 };
    pricing.add(name);
    const price = priceSet(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value));
    pricing.delete(name);
    fragmentPrices.set(name, price);
    return price;
  };

  let cost = 0;
  let rootFields = 0;
  for (const d of document.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    const price = priceSet(d.selectionSet, rootType(schema, d));
    cost = Math.max(cost, price.cost);
    rootFields = Math.max(rootFields, price.fields);
  }
  return { cost, rootFields };
}

function rootType(schema: GraphQLSchema, operation: OperationDefinitionNode) {
  return operation.operation === 'query'
    ? schema.getQueryType()
    : operation.operation === 'mutation'
      ? schema.getMutationType()
      : schema.getSubscriptionType();
}
