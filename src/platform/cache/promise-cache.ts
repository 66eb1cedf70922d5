/**
 * Values loaded from the database and served from memory for `ttlMs`, for data that changes
 * rarely and announces its changes to every replica (a NOTIFY listener calls `delete` or
 * `clear`; the TTL bounds a missed NOTIFY). The promise is kept, so concurrent readers share one
 * load. A load that fails, or whose value `keep` refuses, is not kept, nor is one still in flight
 * when its entry is dropped. Beyond `maxEntries` the least recently loaded entry goes.
 */
export class PromiseCache<V> {
  private readonly entries = new Map<string, { at: number; value: Promise<V> }>();

  constructor(private readonly options: { ttlMs: number; maxEntries: number; keep?: (value: V) => boolean }) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && Date.now() - hit.at < this.options.ttlMs) return hit.value;
    const entry = { at: Date.now(), value: load() };
    const forget = () => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    };
    entry.value.then((value) => {
      if (this.options.keep && !this.options.keep(value)) forget();
    }, forget);
    this.entries.delete(key); // re-inserted last: the map stays in load order
    this.entries.set(key, entry);
    if (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return entry.value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
