import { ApolloServerPlugin } from '@apollo/server';
import { FieldNode, OperationDefinitionNode } from 'graphql';
import { graphqlOperationDuration, graphqlOperations } from './metrics';

/**
 * Counts and times every GraphQL operation. The `operation` label is the first root
 * field (e.g. `signUpForActivity`), not the client's operation name: root fields are
 * bounded by the schema, client-chosen names are not.
 */
export const graphqlMetricsPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    const started = process.hrtime.bigint();
    let type = 'unknown';
    let operation = 'unparsed';
    return {
      async didResolveOperation({ operation: op }) {
        if (!op) return;
        type = op.operation;
        operation = rootField(op);
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
