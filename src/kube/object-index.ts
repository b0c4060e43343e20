/**
 * A secondary index over one informer's objects (client-go's Indexer, for the lookups the hot paths make): objects
 * grouped by a key, kept event by event with the informer's store. Each key's list is built once per change and
 * then handed out as the same frozen array, so memos that follow array identity (the scheduler's per-pool totals)
 * stay valid until that key's objects change.
 */
const EMPTY: readonly never[] = Object.freeze([]);

export class ObjectIndex<T> {
  private readonly keyByName = new Map<string, string>();
  private readonly buckets = new Map<string, { objs: Map<string, T>; list?: readonly T[] }>();

  constructor(
    /** The object's key, or undefined to leave it out of the index. */
    private readonly keyOf: (o: T) => string | undefined,
    private readonly nameOf: (o: T) => string,
  ) {}

  /** An object was added or replaced (a new version of the same name moves to its new key). */
  put(o: T): void {
    const name = this.nameOf(o);
    this.remove(name);
    const key = this.keyOf(o);
    if (key === undefined) return;
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = { objs: new Map() }));
    b.objs.set(name, o);
    b.list = undefined;
    this.keyByName.set(name, key);
  }

  remove(name: string): void {
    const key = this.keyByName.get(name);
    if (key === undefined) return;
    this.keyByName.delete(name);
    const b = this.buckets.get(key)!;
    b.objs.delete(name);
    if (b.objs.size === 0) this.buckets.delete(key);
    else b.list = undefined;
  }

  /** The objects under a key: the same array until one of them changes. Do not mutate it. */
  get(key: string): readonly T[] {
    const b = this.buckets.get(key);
    if (!b) return EMPTY;
    return (b.list ??= Object.freeze([...b.objs.values()]));
  }

  /** How many objects are indexed (for tests and metrics). */
  get size(): number {
    return this.keyByName.size;
  }
}
