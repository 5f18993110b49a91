import { buildSchemaFromResolvers, SCHEMA_FILE, writeSchemaFile } from './graphql/schema-file';
import { resolvers } from './schema-resolvers';

/** Writes schema.gql at the repository root when the API changed; run by `npm run build`. */
async function main() {
  const changed = writeSchemaFile(await buildSchemaFromResolvers(resolvers));
  console.log(changed ? `wrote ${SCHEMA_FILE}` : `${SCHEMA_FILE} is up to date`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
