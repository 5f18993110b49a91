import { ApolloDriverConfig } from '@nestjs/apollo';
import { AppConfig } from '../config/app-config';
import { SCALARS_MAP } from '../common/graphql/date-time.scalar';
import { formatGraphQLError, formatGraphQLErrorWithoutSuggestions } from '../common/graphql/format-error';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GraphqlContext, graphqlObservabilityPlugin } from '../observability/graphql-observability.plugin';
import { queryLimits } from './query-limits';

export function graphqlOptions(config: AppConfig): ApolloDriverConfig {
  const production = config.NODE_ENV === 'production';
  const limits = queryLimits({
    maxDepth: config.GRAPHQL_MAX_DEPTH,
    maxCost: config.GRAPHQL_MAX_COST,
    maxAliases: config.GRAPHQL_MAX_ALIASES,
    maxDirectives: config.GRAPHQL_MAX_DIRECTIVES,
    maxTokens: config.GRAPHQL_MAX_TOKENS,
    maxRootFields: config.GRAPHQL_MAX_ROOT_FIELDS,
  });
  return {
    // Built in memory; schema.gql is written by the build (src/write-schema.ts).
    autoSchemaFile: true,
    sortSchema: true,
    buildSchemaOptions: { scalarsMap: SCALARS_MAP },
    path: '/graphql',
    playground: false,
    introspection: !production,
    includeStacktraceInErrorResponses: false,
    // With introspection off, "Did you mean …" would still spell out field, argument,
    // type and enum names to anyone probing.
    formatError: production ? formatGraphQLErrorWithoutSuggestions : formatGraphQLError,
    parseOptions: limits.parseOptions,
    validationOptions: { hideSuggestions: production },
    validationRules: limits.validationRules,
    plugins: [graphqlObservabilityPlugin, limits.plugin],
    // Apollo's Fastify integration passes the Fastify request and reply.
    context: (req: FastifyRequest, reply: FastifyReply): GraphqlContext => ({ req, reply }),
  };
}
