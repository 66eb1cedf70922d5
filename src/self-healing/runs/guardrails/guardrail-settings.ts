import type { WeeklyWindow } from '../../../platform/time/weekly-window.js';

/**
 * Guardrails for automatic recovery runs (DESIGN §8): one settings document per tenant. The
 * defaults set no guardrail at all on ordinary runs, so a tenant who never set any sees no change;
 * runs with a canary step (DESIGN §13) are bounded by default as seed 004 bounds its config tuning.
 */

/** When automatic runs may start: a weekly window on the wall clock of its time zone. */
export type MaintenanceWindow = WeeklyWindow;

export interface GuardrailSettings {
  /** [] = automatic runs are allowed at any time. */
  maintenanceWindows: MaintenanceWindow[];
  /** At most this many automatic runs created in any rolling hour; null = no limit. */
  maxAutomaticRunsPerHour: number | null;
  /** At most one active automatic run per (agent, capability). */
  oneActiveRunPerAgentCapability: boolean;
  /** Between two automatic runs of one (pattern, agent); 0 = none. */
  cooldownMs: number;
  /** Run time of the automatic runs created in the last 24 h; null = no budget. */
  dailyAutomaticRunBudgetMs: number | null;
  /** At most this many runs with a canary step per (pattern, agent) in any rolling 24 h; null = no limit. */
  canaryRunsPer24h: number | null;
  /** Between two runs with a canary step of one (pattern, agent); 0 = none. */
  canaryCooldownMs: number;
  /** Time the tenant's canary steps of the last 24 h took; null = no budget. */
  canaryDailyBudgetMs: number | null;
}

export const DEFAULT_GUARDRAIL_SETTINGS: Readonly<GuardrailSettings> = Object.freeze({
  maintenanceWindows: [],
  maxAutomaticRunsPerHour: null,
  oneActiveRunPerAgentCapability: false,
  cooldownMs: 0,
  dailyAutomaticRunBudgetMs: null,
  // Seed 004's config tuning runner: 3 runs per 24 h, a 6 h cooldown, 60 s of canary time a night.
  canaryRunsPer24h: 3,
  canaryCooldownMs: 6 * 3600_000,
  canaryDailyBudgetMs: 60_000,
});

/** Upper bounds that keep a setting sane (and inside what SQL and timers handle). */
export const MAX_WINDOWS = 50;
export const MAX_RUNS_PER_HOUR = 100_000;
export const MAX_COOLDOWN_MS = 30 * 24 * 3600_000;
export const MAX_DAILY_BUDGET_MS = 30 * 24 * 3600_000;
export const MAX_CANARY_RUNS_PER_24H = 10_000;

/** The stored document over the defaults: a field added later takes its default. */
export function settingsFrom(stored: Partial<GuardrailSettings> | null | undefined): GuardrailSettings {
  const s = stored ?? {};
  return {
    maintenanceWindows: (s.maintenanceWindows ?? []).map((w) => ({
      days: [...w.days],
      start: w.start,
      end: w.end,
      timeZone: w.timeZone,
    })),
    maxAutomaticRunsPerHour: s.maxAutomaticRunsPerHour ?? DEFAULT_GUARDRAIL_SETTINGS.maxAutomaticRunsPerHour,
    oneActiveRunPerAgentCapability:
      s.oneActiveRunPerAgentCapability ?? DEFAULT_GUARDRAIL_SETTINGS.oneActiveRunPerAgentCapability,
    cooldownMs: s.cooldownMs ?? DEFAULT_GUARDRAIL_SETTINGS.cooldownMs,
    dailyAutomaticRunBudgetMs: s.dailyAutomaticRunBudgetMs ?? DEFAULT_GUARDRAIL_SETTINGS.dailyAutomaticRunBudgetMs,
    // These default to a limit, so an explicit null (no limit) must survive: only a missing field takes the default.
    canaryRunsPer24h:
      s.canaryRunsPer24h === undefined ? DEFAULT_GUARDRAIL_SETTINGS.canaryRunsPer24h : s.canaryRunsPer24h,
    canaryCooldownMs: s.canaryCooldownMs ?? DEFAULT_GUARDRAIL_SETTINGS.canaryCooldownMs,
    canaryDailyBudgetMs:
      s.canaryDailyBudgetMs === undefined ? DEFAULT_GUARDRAIL_SETTINGS.canaryDailyBudgetMs : s.canaryDailyBudgetMs,
  };
}

/** A duration for a sentence: 250 ms, 45 s, 12 min 30 s, 3 h 5 min. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  if (total < 1000) return `${total} ms`;
  const seconds = Math.floor(total / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 ? `${minutes} min ${seconds % 60} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}
