import DataLoader from 'dataloader';

const loadersOf = new WeakMap<object, Map<string, DataLoader<unknown, unknown>>>();

/**
 * The DataLoader called `name` for one GraphQL request (its context object): a field
 * resolved on every row of a page asks it for its row's key, and `batch` loads the keys
 * of the whole page in one go. It lives as long as the request, so nothing is cached
 * across requests or callers; `batch` may therefore close over the caller.
 */
export function requestLoader<K, V>(context: object, name: string, batch: (keys: readonly K[]) => Promise<V[]>): DataLoader<K, V> {
  let loaders = loadersOf.get(context);
  if (!loaders) loadersOf.set(context, (loaders = new Map()));
  let loader = loaders.get(name) as DataLoader<K, V> | undefined;
  if (!loader) loaders.set(name, (loader = new DataLoader<K, V>(batch) as DataLoader<unknown, unknown> as DataLoader<K, V>));
  return loader;
}
