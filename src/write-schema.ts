import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchemaFromResolvers, renderSchema } from './graphql/schema-file';
import { resolvers } from './schema-resolvers';

/** Writes schema.gql at the repository root; run by `npm run build`. */
async function main() {
  const file = join(process.cwd(), 'schema.gql');
  writeFileSync(file, renderSchema(await buildSchemaFromResolvers(resolvers)));
  console.log(`wrote ${file}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
