import type { MetricRule } from '../settings/intake-settings.js';

/** A series' trailing baseline: the median and the median absolute deviation of its window (ADR 0010). */
export interface Baseline {
  samples: number;
  /** Hours between the window's first and last sample. */
  spanHours: number;
  median: number;
  mad: number;
}

export interface Breach {
  severity: 'warning' | 'critical';
  /** Signed change against the median in percent; null over a zero baseline. */
  deltaPct: number | null;
}

/** MAD × 1.4826 estimates the standard deviation of normally distributed data. */
const MAD_SCALE = 1.4826;

/**
 * Whether `value` is a regression against `baseline` under `rule`: worse in the rule's direction
 * by at least warningPct (criticalPct) of the median, and by more than `noiseMads` scaled MADs,
 * so a series whose ordinary spread is wider than the threshold does not raise symptoms on noise.
 * Over a zero median any increase of an `up` metric is critical (the first OOM event).
 */
export function classify(rule: MetricRule, baseline: Baseline, value: number, noiseMads: number): Breach | null {
  const worse = rule.direction === 'up' ? value - baseline.median : baseline.median - value;
  if (worse <= 0 || worse <= noiseMads * MAD_SCALE * baseline.mad) return null;
  if (baseline.median === 0) return rule.direction === 'up' ? { severity: 'critical', deltaPct: null } : null;
  const pct = (worse / Math.abs(baseline.median)) * 100;
  const deltaPct = ((value - baseline.median) / Math.abs(baseline.median)) * 100;
  if (rule.criticalPct !== null && pct >= rule.criticalPct) return { severity: 'critical', deltaPct };
  if (pct >= rule.warningPct) return { severity: 'warning', deltaPct };
  return null;
}
