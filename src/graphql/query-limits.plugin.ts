import { ApolloServerPlugin } from '@apollo/server';
import {
  DocumentNode,
  FragmentDefinitionNode,
  GraphQLError,
  Kind,
  SelectionSetNode,
} from 'graphql';
import { ComplexityEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';
import { DomainError } from '../common/errors/domain.error';
import { MAX_PAGE_SIZE } from '../common/pagination/connection';

export interface QueryLimits {
  maxDepth: number;
  maxCost: number;
}

/**
 * A list costs what one of its items costs, times the page size asked for: `first: 100`
 * of a connection whose nodes select 5 fields costs ~600, not 6. Every other field costs 1.
 */
const pageSizeEstimator: ComplexityEstimator = ({ args, childComplexity }) => {
  if (typeof args.first !== 'number') return undefined;
  // Page sizes beyond the maximum are refused by validation with a clearer message.
  const pageSize = Math.min(Math.max(args.first, 1), MAX_PAGE_SIZE);
  return 1 + childComplexity * pageSize;
};

/**
 * Refuses, before anything runs, operations nested deeper than `maxDepth` or costing
 * more than `maxCost` (QUERY_TOO_COMPLEX). Introspection fields (`__schema`, `__type`)
 * are not counted: introspection is switched off in production instead.
 */
export function queryLimitsPlugin(limits: QueryLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, schema }) {
          if (!operation) return; // graphql validation has already refused it
          const depth = selectionDepth(operation.selectionSet, fragmentsOf(document), 0);
          if (depth > limits.maxDepth) {
            throw tooComplex(`查询嵌套过深（${depth} 层，上限 ${limits.maxDepth} 层）`, { depth, maxDepth: limits.maxDepth });
          }
          let cost: number;
          try {
            cost = getComplexity({
              schema,
              query: document,
              operationName: request.operationName ?? undefined,
              variables: request.variables ?? {},
              estimators: [pageSizeEstimator, simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch {
            // Variables that do not fit their types: execution refuses them as BAD_USER_INPUT.
            return;
          }
          if (cost > limits.maxCost) {
            throw tooComplex(`查询数据量过大（成本 ${cost}，上限 ${limits.maxCost}），请减少每页条数或查询字段`, {
              cost,
              maxCost: limits.maxCost,
            });
          }
        },
      };
    },
  };
}

/** Apollo wraps what a plugin throws; a GraphQLError carrying our DomainError keeps its code. */
function tooComplex(message: string, details: Record<string, unknown>): GraphQLError {
  const domain = new DomainError('QUERY_TOO_COMPLEX', message, details);
  return new GraphQLError(message, { originalError: domain, extensions: { code: domain.code, http: { status: 400 } } });
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return fragments;
}

function selectionDepth(
  set: SelectionSetNode | undefined,
  fragments: Map<string, FragmentDefinitionNode>,
  depth: number,
  visiting = new Set<string>(),
): number {
  if (!set) return depth;
  let max = depth;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue;
      max = Math.max(max, selectionDepth(selection.selectionSet, fragments, depth + 1, visiting));
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      max = Math.max(max, selectionDepth(selection.selectionSet, fragments, depth, visiting));
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || visiting.has(name)) continue; // unknown or cyclic: graphql validation refuses those
      visiting.add(name);
      max = Math.max(max, selectionDepth(fragment.selectionSet, fragments, depth, visiting));
      visiting.delete(name);
    }
  }
  return max;
}
