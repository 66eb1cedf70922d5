import { describe, expect, it } from '@jest/globals';
import type { PgNotifications } from '../../platform/database/pg-notifications.js';
import type { LoopStatus } from '../loop-status/loop-status.js';
import {
  LOOP_PROGRESS_CHANNEL,
  type LoopTraceRepository,
  type LoopTraceRow,
} from '../loop-status/loop-trace.repository.js';
import { LoopProgressHub } from './loop-progress.hub.js';

const INCIDENT = '0190a000-0000-7000-8000-000000000001';
const trace: LoopTraceRow = {
  incident_id: INCIDENT,
  tenant_id: 't1',
  stages: {},
  is_complete: false,
  started_at: new Date('2026-12-07T00:00:00Z'),
  completed_at: null,
};

/** A hub on a stand-in notification connection (`notify` delivers a payload) and `findMany`. */
function hubWith(findMany: () => Promise<LoopTraceRow[]>) {
  const listeners = new Map<string, (payload: string) => void>();
  const notifications = { on: (channel: string, l: (payload: string) => void) => listeners.set(channel, l) };
  const hub = new LoopProgressHub(
    notifications as unknown as PgNotifications,
    { findMany } as unknown as LoopTraceRepository,
  );
  hub.onModuleInit();
  return { hub, notify: (payload: string) => listeners.get(LOOP_PROGRESS_CHANNEL)!(payload) };
}

const until = async (done: () => boolean) => {
  for (let i = 0; i < 300 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(done()).toBe(true);
};

describe('LoopProgressHub', () => {
  it('reads an update again after a failed read, rather than dropping it', async () => {
    let reads = 0;
    const { hub, notify } = hubWith(async () => {
      if (++reads === 1) throw new Error('connection reset');
      return [trace];
    });
    const sent: LoopStatus[] = [];
    hub.subscribeIncident('t1', INCIDENT, (s) => sent.push(s));
    notify(JSON.stringify({ tenantId: 't1', incidentId: INCIDENT }));
    await until(() => sent.length === 1);
    expect(reads).toBe(2);
    expect(sent[0].incidentId).toBe(INCIDENT);
    hub.beforeApplicationShutdown();
  });

  it('after a reconnect (an empty payload) reads every followed incident, of its own tenant only', async () => {
    let reads = 0;
    const { hub, notify } = hubWith(async () => {
      reads++;
      return [{ ...trace, tenant_id: 'someone-else' }];
    });
    const sent: LoopStatus[] = [];
    const off = hub.subscribeIncident('t1', INCIDENT, (s) => sent.push(s));
    notify('');
    await until(() => reads === 1);
    expect(sent).toEqual([]); // the trace is another tenant's: nothing is sent
    off();
    notify('');
    await new Promise((r) => setTimeout(r, 50));
    expect(reads).toBe(1); // nobody follows it any more: nothing is read
  });
});
