import { describe, expect, it } from '@jest/globals';
import { TenantHolds } from './tenant-holds.js';

describe('TenantHolds', () => {
  it('counts by tenant against the cap, drops a tenant holding nothing, and says when one leaves its cap', () => {
    const holds = new TenantHolds(2);
    holds.hold('a');
    holds.hold('a');
    holds.hold('b');
    expect(holds.tenantsAtCap()).toEqual(['a']);
    expect(holds.atCap('b')).toBe(false);
    expect(holds.total).toBe(3);
    expect(holds.release('a')).toBe(true); // 2 → 1: off its cap
    expect(holds.release('a')).toBe(false);
    expect(holds.release('b')).toBe(false);
    expect([...holds]).toEqual([]);
    expect(holds.total).toBe(0);
  });
});
