import { getMetadataArgsStorage } from 'typeorm';

/**
 * `alias.column AS "property", …` for every column an entity declares, for raw SQL
 * reads: the entity's decorators are the one description of a table's row, and queries
 * select by it instead of repeating the mapping by hand.
 */
export function selectColumns(entity: Function, alias: string): string {
  const columns = getMetadataArgsStorage().columns.filter((c) => c.target === entity);
  if (!columns.length) throw new Error(`${entity.name} declares no columns`);
  return columns.map((c) => `${alias}.${c.options.name ?? c.propertyName} AS "${c.propertyName}"`).join(', ');
}
