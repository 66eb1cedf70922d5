import { Socket } from 'node:net';

/**
 * How many times one socket of the process writes while `work` runs: the busiest one's count, which
 * is the round trips of a transaction `work` runs on its connection. Per socket, so that a timer of
 * the app's own querying on another pool connection meanwhile (the engine's claim, a pump) is not
 * counted in.
 */
export async function socketWrites(work: () => Promise<unknown>): Promise<number> {
  const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  const originals = { _write: proto._write, _writev: proto._writev };
  const writes = new Map<unknown, number>();
  for (const name of ['_write', '_writev'] as const) {
    proto[name] = function (this: unknown, ...args: unknown[]) {
      writes.set(this, (writes.get(this) ?? 0) + 1);
      return originals[name].apply(this, args);
    };
  }
  try {
    await work();
  } finally {
    Object.assign(proto, originals);
  }
  return Math.max(0, ...writes.values());
}
