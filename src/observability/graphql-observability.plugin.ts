import { ApolloServerPlugin } from '@apollo/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FieldNode, OperationDefinitionNode } from 'graphql';
import { unexpectedError } from '../common/graphql/format-error';
import { graphqlOperationDuration, graphqlOperations } from './metrics';

/** The GraphQL context (graphql.options.ts): the Fastify request and reply. */
export interface GraphqlContext {
  req: FastifyRequest;
  reply: FastifyReply;
}

/**
 * What logs and metrics learn from each GraphQL operation:
 * - counts and times it (`operation` label: the first root field, e.g.
 *   `signUpForActivity`, bounded by the schema, unlike client-chosen names);
 * - names it on the request's log line (http-server.ts);
 * - logs unexpected errors (bugs, which the client sees as INTERNAL_SERVER_ERROR) with
 *   the request's own logger, so the line carries the request id the client was given.
 */
export const graphqlObservabilityPlugin: ApolloServerPlugin<GraphqlContext> = {
  async requestDidStart({ contextValue }) {
    const started = process.hrtime.bigint();
    let type = 'unknown';
    let operation = 'unparsed';
    return {
      async didResolveOperation({ operation: op }) {
        if (!op) return;
        type = op.operation;
        operation = rootField(op);
        contextValue.req.graphql = { operation: `${type} ${operation}`, ...(op.name ? { operationName: op.name.value } : {}) };
      },
      async didEncounterErrors({ errors }) {
        for (const error of errors) {
          const bug = unexpectedError(error);
          if (bug) contextValue.req.log.error({ err: bug }, 'unexpected error');
        }
      },
      async willSendResponse({ response, errors }) {
        // The formatted errors carry our codes; the raw ones may not (e.g. database errors).
        const firstError = (response.body.kind === 'single' ? response.body.singleResult.errors?.[0] : undefined) ?? errors?.[0];
        const outcome = firstError ? String(firstError.extensions?.code ?? 'ERROR') : 'ok';
        graphqlOperations.inc({ type, operation, outcome });
        graphqlOperationDuration.observe({ type, operation }, Number(process.hrtime.bigint() - started) / 1e9);
      },
    };
  },
};

function rootField(operation: OperationDefinitionNode): string {
  const field = operation.selectionSet.selections.find((s): s is FieldNode => s.kind === 'Field');
  return field?.name.value ?? 'fragment';
}
