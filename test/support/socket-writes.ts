import { Socket } from 'node:net';

/**
 * How many times the process's sockets write while `work` runs: its round trips, when nothing
 * else in the process talks meanwhile (the outbox relay off).
 */
export async function socketWrites(work: () => Promise<unknown>): Promise<number> {
  const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  const originals = { _write: proto._write, _writev: proto._writev };
  let writes = 0;
  for (const name of ['_write', '_writev'] as const) {
    proto[name] = function (this: unknown, ...args: unknown[]) {
      writes++;
      return originals[name].apply(this, args);
    };
  }
  try {
    await work();
  } finally {
    Object.assign(proto, originals);
  }
  return writes;
}
