import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../platform/config/config.js';
import { CallSlots } from './call-slots.js';

const slotsOf = (perActuator: number) => new CallSlots(loadConfig({ RUN_ENGINE_ACTUATOR_CALLS: String(perActuator) }));

describe('CallSlots: calls to one actuator of a tenant at once', () => {
  it('lets the first calls through and queues the rest, first come first served', async () => {
    const slots = slotsOf(2);
    expect(['a', 'b', 'c', 'd'].map((run) => slots.plan(run, 't1', 'ops', 1000))).toEqual([0, 0, 1000, 1000]);
    expect(await slots.acquire('a')).toBe(true);
    expect(await slots.acquire('b')).toBe(true);
    const order: string[] = [];
    const c = slots.acquire('c').then((may) => order.push(`c ${may}`));
    const d = slots.acquire('d').then((may) => order.push(`d ${may}`));
    expect(slots.load('t1', 'ops')).toEqual({ calling: 2, waiting: 2 });
    slots.release('b');
    await c;
    expect(order).toEqual(['c true']);
    slots.release('a');
    await d;
    expect(order).toEqual(['c true', 'd true']);
    expect(slots.load('t1', 'ops')).toEqual({ calling: 2, waiting: 0 });
  });

  it('keeps tenants and actuators apart: a full line holds nobody else', async () => {
    const slots = slotsOf(1);
    slots.plan('a', 't1', 'ops', 1000);
    slots.plan('b', 't1', 'ops', 1000);
    slots.plan('c', 't2', 'ops', 1000);
    slots.plan('d', 't1', 'other', 1000);
    expect(await slots.acquire('a')).toBe(true);
    const b = slots.acquire('b');
    expect(await slots.acquire('c')).toBe(true);
    expect(await slots.acquire('d')).toBe(true);
    expect(slots.load('t1', 'ops')).toEqual({ calling: 1, waiting: 1 });
    slots.release('a');
    expect(await b).toBe(true);
  });

  it('the wait it announces grows with the calls ahead, one timeout per full round of slots', () => {
    const slots = slotsOf(2);
    const waits = ['a', 'b', 'c', 'd', 'e'].map((run) => slots.plan(run, 't1', 'ops', 500));
    expect(waits).toEqual([0, 0, 500, 500, 1000]);
  });

  it('a run dropped from the queue is told not to call, and stopping turns every waiting call away', async () => {
    const slots = slotsOf(1);
    for (const run of ['a', 'b', 'c']) slots.plan(run, 't1', 'ops', 1000);
    expect(await slots.acquire('a')).toBe(true);
    const b = slots.acquire('b');
    const c = slots.acquire('c');
    slots.release('b'); // its turn did not commit: the call is not made
    expect(await b).toBe(false);
    slots.close();
    expect(await c).toBe(false);
    expect(await slots.acquire('a')).toBe(false);
  });

  it('a run plans one call at a time: planning again gives up its earlier place', async () => {
    const slots = slotsOf(1);
    slots.plan('a', 't1', 'ops', 1000);
    expect(await slots.acquire('a')).toBe(true);
    slots.plan('a', 't1', 'ops', 1000); // the answer was stored and the next call planned
    expect(slots.load('t1', 'ops')).toEqual({ calling: 0, waiting: 0 });
    expect(await slots.acquire('a')).toBe(true);
  });
});
