import { describe, expect, it, jest } from '@jest/globals';
import { PromiseCache } from './promise-cache.js';

describe('PromiseCache', () => {
  const counting = <V>(value: V) => {
    const loader = { calls: 0, load: () => (loader.calls++, Promise.resolve(value)) };
    return loader;
  };

  it('shares one load between readers until the entry expires', async () => {
    const loader = counting('v');
    const kept = new PromiseCache<string>({ ttlMs: 60_000, maxEntries: 10 });
    expect(await Promise.all([kept.get('k', loader.load), kept.get('k', loader.load)])).toEqual(['v', 'v']);
    await kept.get('k', loader.load);
    expect(loader.calls).toBe(1);

    const expired = new PromiseCache<string>({ ttlMs: 0, maxEntries: 10 });
    await expired.get('k', loader.load);
    await expired.get('k', loader.load);
    expect(loader.calls).toBe(3);
  });

  it('does not keep a failed load, nor a value `keep` refuses', async () => {
    const cache = new PromiseCache<string | undefined>({ ttlMs: 60_000, maxEntries: 10, keep: (v) => v !== undefined });
    await expect(cache.get('bad', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('bad', () => Promise.resolve('up'))).toBe('up');
    const missing = counting<string | undefined>(undefined);
    await cache.get('none', missing.load);
    await cache.get('none', missing.load);
    expect(missing.calls).toBe(2);
  });

  it('does not keep a load that was in flight when its entry was dropped', async () => {
    const cache = new PromiseCache<string>({ ttlMs: 60_000, maxEntries: 10 });
    let finish!: (v: string) => void;
    const inFlight = cache.get('k', () => new Promise((resolve) => (finish = resolve)));
    cache.clear();
    finish('stale');
    expect(await inFlight).toBe('stale');
    expect(await cache.get('k', () => Promise.resolve('fresh'))).toBe('fresh');
  });

  it('drops the least recently loaded entry beyond maxEntries', async () => {
    const cache = new PromiseCache<string>({ ttlMs: 60_000, maxEntries: 2 });
    for (const key of ['a', 'b', 'c']) await cache.get(key, () => Promise.resolve(key));
    expect(await cache.get('a', () => Promise.resolve('reloaded'))).toBe('reloaded');
    expect(await cache.get('c', () => Promise.resolve('reloaded'))).toBe('c');
  });

  it('with serveStaleMs, serves an expired value while one reload runs, then the reloaded one', async () => {
    const cache = new PromiseCache<string>({ ttlMs: 0, maxEntries: 10, serveStaleMs: 60_000 });
    expect(await cache.get('k', () => Promise.resolve('v1'))).toBe('v1');
    let finish!: (v: string) => void;
    let reloads = 0;
    const reload = () => (reloads++, new Promise<string>((resolve) => (finish = resolve)));
    expect(await cache.get('k', reload)).toBe('v1');
    expect(await cache.get('k', reload)).toBe('v1'); // one reload in flight, not two
    expect(reloads).toBe(1);
    finish('v2');
    await new Promise((r) => setImmediate(r));
    expect(await cache.get('k', () => Promise.resolve('v3'))).toBe('v2');
  });

  it('with serveStaleMs, keeps serving the old value when a reload fails, and retries the reload', async () => {
    const cache = new PromiseCache<string>({ ttlMs: 0, maxEntries: 10, serveStaleMs: 60_000 });
    await cache.get('k', () => Promise.resolve('v1'));
    expect(await cache.get('k', () => Promise.reject(new Error('down')))).toBe('v1');
    await new Promise((r) => setImmediate(r));
    let reloads = 0;
    expect(await cache.get('k', () => (reloads++, Promise.resolve('v2')))).toBe('v1');
    expect(reloads).toBe(1);
  });

  it('with serveStaleMs, serves an expired value only that long past its TTL: older, a reader waits for the load', async () => {
    let now = 1_000_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const cache = new PromiseCache<string>({ ttlMs: 5_000, maxEntries: 10, serveStaleMs: 5_000 });
      await cache.get('k', () => Promise.resolve('v1'));
      now += 9_999; // within the TTL and its stale time: served, one reload in the background
      expect(await cache.get('k', () => new Promise<string>(() => undefined))).toBe('v1');
      now += 2; // past both, its reload still hanging: the reader waits for a load of its own
      expect(await cache.get('k', () => Promise.resolve('v2'))).toBe('v2');
    } finally {
      clock.mockRestore();
    }
  });
});
