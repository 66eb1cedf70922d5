/**
 * Values loaded from the database and served from memory for `ttlMs`, for data that changes
 * rarely and announces its changes to every replica (a NOTIFY listener calls `delete` or
 * `clear`; the TTL bounds a missed NOTIFY). The promise is kept, so concurrent readers share one
 * load. A load that fails, or whose value `keep` refuses, is not kept, nor is one still in flight
 * when its entry is dropped. Beyond `maxEntries` the least recently loaded entry goes.
 *
 * With `serveStaleMs`, an expired value that has loaded is still served, for that long past its TTL,
 * while one reload runs in the background (for readers on a hot path that must not wait on a
 * refresh); older than that, readers wait for a load, so a value is never served far past its age.
 */
export class PromiseCache<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(
    private readonly options: {
      ttlMs: number;
      maxEntries: number;
      keep?: (value: V) => boolean;
      serveStaleMs?: number;
    },
  ) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    const age = hit ? Date.now() - hit.at : Infinity;
    if (hit && age < this.options.ttlMs) return hit.value;
    if (hit && hit.loaded && age < this.options.ttlMs + (this.options.serveStaleMs ?? 0)) {
      if (!hit.refreshing) {
        hit.refreshing = true;
        const next = load();
        next.then(
          () => {
            if (this.entries.get(key) === hit) this.insert(key, next, true);
          },
          () => {
            hit.refreshing = false;
          },
        );
      }
      return hit.value;
    }
    return this.insert(key, load(), false).value;
  }

  private insert(key: string, value: Promise<V>, loaded: boolean): Entry<V> {
    const entry: Entry<V> = { at: Date.now(), value, loaded, refreshing: false };
    const forget = () => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    };
    value.then((v) => {
      if (this.options.keep && !this.options.keep(v)) forget();
      else entry.loaded = true;
    }, forget);
    this.entries.delete(key); // re-inserted last: the map stays in load order
    this.entries.set(key, entry);
    if (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

interface Entry<V> {
  at: number;
  value: Promise<V>;
  /** Settled with a kept value: fit to be served stale. */
  loaded: boolean;
  refreshing: boolean;
}
