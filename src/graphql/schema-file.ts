import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { SCALARS_MAP } from '../common/graphql/date-time.scalar';

export const SCHEMA_FILE_HEADER = '# Generated from the code-first resolvers by `npm run build` (src/write-schema.ts). Do not edit.\n\n';

/** The text of schema.gql for a schema: sorted, so the file only changes when the API does. */
export function renderSchema(schema: GraphQLSchema): string {
  return SCHEMA_FILE_HEADER + printSchema(lexicographicSortSchema(schema)) + '\n';
}

/** Builds the schema from the resolver classes alone (no database, no server). */
export async function buildSchemaFromResolvers(resolvers: Function[]): Promise<GraphQLSchema> {
  const app = await NestFactory.createApplicationContext(GraphQLSchemaBuilderModule, { logger: false });
  try {
    return await app.get(GraphQLSchemaFactory).create(resolvers, { scalarsMap: SCALARS_MAP });
  } finally {
    await app.close();
  }
}
