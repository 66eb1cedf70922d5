import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../platform/config/config.js';
import { CallSlot, CallSlots } from './call-slots.js';

const slotsOf = (perActuator: number) => new CallSlots(loadConfig({ RUN_ENGINE_ACTUATOR_CALLS: String(perActuator) }));
/** One CallSlot per run named (each run's turn plans under its own). */
const slotsFor = (...runs: string[]) => runs.map((run) => new CallSlot(run));

describe('CallSlots: calls to one actuator of a tenant at once', () => {
  it('lets the first calls through and queues the rest, first come first served', async () => {
    const slots = slotsOf(2);
    const [a, b, c, d] = slotsFor('a', 'b', 'c', 'd');
    expect([a, b, c, d].map((slot) => slots.plan(slot!, 't1', 'ops', 1000))).toEqual([0, 0, 1000, 1000]);
    expect(await slots.acquire(a!)).toBe(true);
    expect(await slots.acquire(b!)).toBe(true);
    const order: string[] = [];
    const cGo = slots.acquire(c!).then((may) => order.push(`c ${may}`));
    const dGo = slots.acquire(d!).then((may) => order.push(`d ${may}`));
    expect(slots.load('t1', 'ops')).toEqual({ calling: 2, waiting: 2 });
    slots.release(b!);
    await cGo;
    expect(order).toEqual(['c true']);
    slots.release(a!);
    await dGo;
    expect(order).toEqual(['c true', 'd true']);
    expect(slots.load('t1', 'ops')).toEqual({ calling: 2, waiting: 0 });
  });

  it('keeps tenants and actuators apart: a full line holds nobody else', async () => {
    const slots = slotsOf(1);
    const [a, b, c, d] = slotsFor('a', 'b', 'c', 'd');
    slots.plan(a!, 't1', 'ops', 1000);
    slots.plan(b!, 't1', 'ops', 1000);
    slots.plan(c!, 't2', 'ops', 1000);
    slots.plan(d!, 't1', 'other', 1000);
    expect(await slots.acquire(a!)).toBe(true);
    const bGo = slots.acquire(b!);
    expect(await slots.acquire(c!)).toBe(true);
    expect(await slots.acquire(d!)).toBe(true);
    expect(slots.load('t1', 'ops')).toEqual({ calling: 1, waiting: 1 });
    slots.release(a!);
    expect(await bGo).toBe(true);
  });

  it('the wait it announces grows with the calls ahead, one timeout per full round of slots', () => {
    const slots = slotsOf(2);
    const waits = slotsFor('a', 'b', 'c', 'd', 'e').map((slot) => slots.plan(slot, 't1', 'ops', 500));
    expect(waits).toEqual([0, 0, 500, 500, 1000]);
  });

  it('a run dropped from the queue is told not to call, and stopping turns every waiting call away', async () => {
    const slots = slotsOf(1);
    const [a, b, c] = slotsFor('a', 'b', 'c');
    for (const slot of [a!, b!, c!]) slots.plan(slot, 't1', 'ops', 1000);
    expect(await slots.acquire(a!)).toBe(true);
    const bGo = slots.acquire(b!);
    const cGo = slots.acquire(c!);
    slots.release(b!); // its turn did not commit: the call is not made
    expect(await bGo).toBe(false);
    slots.close();
    expect(await cGo).toBe(false);
    expect(await slots.acquire(a!)).toBe(false);
  });

  it('a slot plans one call at a time: planning it again gives up its earlier place', async () => {
    const slots = slotsOf(1);
    const [a] = slotsFor('a');
    slots.plan(a!, 't1', 'ops', 1000);
    expect(await slots.acquire(a!)).toBe(true);
    slots.plan(a!, 't1', 'ops', 1000);
    expect(slots.load('t1', 'ops')).toEqual({ calling: 0, waiting: 0 });
    expect(await slots.acquire(a!)).toBe(true);
  });

  it('two holders of one run (its lease lapsed and it was claimed again mid-call) each hold their own slot: releasing the first frees only its own', async () => {
    const slots = slotsOf(2);
    const [first, second] = slotsFor('R', 'R');
    slots.plan(first!, 't1', 'ops', 1000);
    expect(await slots.acquire(first!)).toBe(true);
    // The new holder plans and calls while the old holder's call is still out: both count.
    slots.plan(second!, 't1', 'ops', 1000);
    expect(await slots.acquire(second!)).toBe(true);
    expect(slots.load('t1', 'ops')).toEqual({ calling: 2, waiting: 0 });

    // The old call ends: only its slot is freed; the second holder still calls, and the cap counts it.
    slots.release(first!);
    expect(slots.load('t1', 'ops')).toEqual({ calling: 1, waiting: 0 });
    const [other, overCap] = slotsFor('S', 'T');
    expect(slots.plan(other!, 't1', 'ops', 1000)).toBe(0);
    expect(await slots.acquire(other!)).toBe(true);
    expect(slots.plan(overCap!, 't1', 'ops', 1000)).toBe(1000);
    let overCapGo: boolean | null = null;
    const going = slots.acquire(overCap!).then((may) => (overCapGo = may));
    await Promise.resolve();
    expect(overCapGo).toBeNull(); // at the cap: S and the second holder of R are calling
    expect(slots.load('t1', 'ops')).toEqual({ calling: 2, waiting: 1 });

    slots.release(first!); // again: it holds nothing any more
    expect(slots.load('t1', 'ops')).toEqual({ calling: 2, waiting: 1 });
    slots.release(second!);
    await going;
    expect(overCapGo).toBe(true);
    expect(slots.load('t1', 'ops')).toEqual({ calling: 2, waiting: 0 });
  });
});
