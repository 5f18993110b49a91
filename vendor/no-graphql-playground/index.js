'use strict';
// See package.json: required by @nestjs/apollo, never called with `playground: false`.
exports.ApolloServerPluginLandingPageGraphQLPlayground = function ApolloServerPluginLandingPageGraphQLPlayground() {
  throw new Error('GraphQL Playground is not shipped with this service: open /graphql in development for GraphiQL');
};
