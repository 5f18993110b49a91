/**
 * A Map that holds at most `capacity` entries: adding a new key past it forgets the
 * oldest one added. For caches of things cheap to compute again (a statement's name, a
 * verified token, a principal).
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly capacity: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (this.size >= this.capacity && !this.has(key)) this.delete(this.keys().next().value as K);
    return super.set(key, value);
  }
}
