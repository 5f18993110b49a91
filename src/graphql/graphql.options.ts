import { ApolloDriverConfig } from '@nestjs/apollo';
import { AppConfig } from '../config/app-config';
import { SCALARS_MAP } from '../common/graphql/date-time.scalar';
import { formatGraphQLError } from '../common/graphql/format-error';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GraphqlContext, graphqlObservabilityPlugin } from '../observability/graphql-observability.plugin';
import { queryLimitsPlugin } from './query-limits.plugin';

export function graphqlOptions(config: AppConfig): ApolloDriverConfig {
  const production = config.NODE_ENV === 'production';
  return {
    // Built in memory; schema.gql is written by the build (src/graphql/write-schema.ts).
    autoSchemaFile: true,
    sortSchema: true,
    buildSchemaOptions: { scalarsMap: SCALARS_MAP },
    path: '/graphql',
    playground: false,
    introspection: !production,
    includeStacktraceInErrorResponses: false,
    formatError: formatGraphQLError,
    plugins: [
      graphqlObservabilityPlugin,
      queryLimitsPlugin({ maxDepth: config.GRAPHQL_MAX_DEPTH, maxCost: config.GRAPHQL_MAX_COST }),
    ],
    // Apollo's Fastify integration passes the Fastify request and reply.
    context: (req: FastifyRequest, reply: FastifyReply): GraphqlContext => ({ req, reply }),
  };
}
