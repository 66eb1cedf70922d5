import { describe, expect, it } from '@jest/globals';
import { DEFAULT_SETTINGS } from '../settings/intake-settings.js';
import { classify, type Baseline } from './detection.js';

const { latency_ms, throughput, pass_rate, oom_events } = DEFAULT_SETTINGS.metrics;
const base = (median: number, mad = 0): Baseline => ({ samples: 168, spanHours: 167, median, mad });

describe('classify against DESIGN §10 default thresholds', () => {
  it('latency: +20 % warning, +50 % critical, below or better nothing', () => {
    expect(classify(latency_ms, base(100), 119, 3)).toBeNull();
    expect(classify(latency_ms, base(100), 120, 3)).toEqual({ severity: 'warning', deltaPct: 20 });
    expect(classify(latency_ms, base(100), 149, 3)?.severity).toBe('warning');
    expect(classify(latency_ms, base(100), 150, 3)).toEqual({ severity: 'critical', deltaPct: 50 });
    expect(classify(latency_ms, base(100), 40, 3)).toBeNull();
  });

  it('throughput and pass rate: -15 % warning, -30 % critical', () => {
    expect(classify(throughput, base(200), 171, 3)).toBeNull();
    expect(classify(throughput, base(200), 170, 3)).toEqual({ severity: 'warning', deltaPct: -15 });
    expect(classify(throughput, base(200), 140, 3)).toEqual({ severity: 'critical', deltaPct: -30 });
    expect(classify(pass_rate, base(0.9), 0.76, 3)?.severity).toBe('warning');
    expect(classify(pass_rate, base(0.9), 0.6, 3)?.severity).toBe('critical');
    expect(classify(pass_rate, base(0.9), 1, 3)).toBeNull();
  });

  it('OOM events: any over a zero baseline is critical, +50 % over a non-zero one a warning', () => {
    expect(classify(oom_events, base(0), 0, 3)).toBeNull();
    expect(classify(oom_events, base(0), 1, 3)).toEqual({ severity: 'critical', deltaPct: null });
    expect(classify(oom_events, base(2), 3, 3)).toEqual({ severity: 'warning', deltaPct: 50 });
    expect(classify(oom_events, base(2), 20, 3)?.severity).toBe('warning');
  });

  it("ignores a breach inside the series' usual noise (noiseMads scaled MADs)", () => {
    // median 100, MAD 10: 3 × 1.4826 × 10 ≈ 44.5 ms of ordinary spread.
    expect(classify(latency_ms, base(100, 10), 140, 3)).toBeNull();
    expect(classify(latency_ms, base(100, 10), 145, 3)?.severity).toBe('warning');
    expect(classify(latency_ms, base(100, 10), 140, 0)?.severity).toBe('warning');
  });
});
