import { NestFactory } from '@nestjs/core';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** The repository's schema.gql (the build and `npm run dev` run from the repository root). */
export const SCHEMA_FILE = join(process.cwd(), 'schema.gql');

/**
 * Writes schema.gql only when its text changes, so a build or a restart in watch mode
 * that changed nothing in the API leaves the file (and whatever watches it) alone.
 */
export function writeSchemaFile(schema: GraphQLSchema, file = SCHEMA_FILE): boolean {
  const text = renderSchema(schema);
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return false;
  writeFileSync(file, text);
  return true;
}
