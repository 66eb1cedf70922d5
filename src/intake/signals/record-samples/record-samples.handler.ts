import { CommandBus, CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { MAX_INCIDENT_AGE_MS, ReportIncident } from '../../../incidents/report-incident/report-incident.command.js';
import { lockKey } from '../../../platform/database/advisory-lock.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { DegradationDetected } from '../../events/degradation-detected.event.js';
import type { IntakeSettings } from '../../settings/intake-settings.js';
import { IntakeSettingsRepository } from '../../settings/intake-settings.repository.js';
import { type Baseline, classify } from '../detection.js';
import { refuseAgainst, retentionCutoff, type Sample } from '../samples.js';
import { escalationView, symptomView } from '../signal.view.js';
import { type EscalationRow, SignalsRepository, type SymptomRow } from '../signals.repository.js';
import {
  RecordSamples,
  type InsufficientHistory,
  type RecordSamplesResult,
  type SkippedWindow,
} from './record-samples.command.js';

const HOUR = 3_600_000;

/**
 * Stores the samples, then judges them in time order, each against the samples of its series
 * (metric, agent, capability) in the `baselineDays` before it: every time is the sample's own
 * `at`, never the wall clock, so a replayed or back-filled week is judged as it happened. One
 * transaction per request, serialised per tenant, so one breach arms at most one escalation.
 */
@CommandHandler(RecordSamples)
export class RecordSamplesHandler implements ICommandHandler<RecordSamples> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly signals: SignalsRepository,
    private readonly settingsRepository: IntakeSettingsRepository,
    private readonly commands: CommandBus,
    private readonly events: EventBus,
  ) {}

  execute({ tenantId, samples }: RecordSamples): Promise<RecordSamplesResult> {
    return this.tx.run(async () => {
      await lockKey(this.tx, `intake:signals:${tenantId}`);
      const settings = await this.settingsRepository.get(tenantId);
      // Checked before against settings read outside this lock: an admin may have changed them since,
      // and the clock has moved. The prune below cuts at the same instant, so it keeps every sample
      // this request accepts: none is judged and then deleted by the request that stored it.
      const now = new Date();
      refuseAgainst(samples, settings, now);
      const ordered = [...samples].sort((a, b) => a.at.getTime() - b.at.getTime());
      // A sample sent again is the reading already judged: only the new ones are.
      const fresh = await this.signals.insertSamples(tenantId, ordered);
      const result: RecordSamplesResult = {
        accepted: samples.length,
        repeated: samples.length - fresh.length,
        evaluated: 0,
        symptoms: [],
        escalations: [],
        insufficientHistory: [],
        skippedWindows: [],
        pruned: { samples: 0, symptoms: 0 },
      };
      const short = new Map<string, InsufficientHistory>();
      // By series and end: a window is judged again for each of its symptoms this request stored.
      const skipped = new Map<string, SkippedWindow>();
      for (const sample of fresh) {
        const baseline = await this.baseline(tenantId, sample, settings);
        const { samples: needSamples, spanHours: needSpan } = settings.minHistory;
        if (baseline.samples < needSamples || baseline.spanHours < needSpan) {
          const key = `${sample.metric}\u0000${sample.agentId}\u0000${sample.capability}`;
          const entry = short.get(key) ?? {
            metric: sample.metric,
            agentId: sample.agentId || null,
            capability: sample.capability || null,
            samplesNotEvaluated: 0,
            history: { samples: 0, spanHours: 0 },
            required: { samples: needSamples, spanHours: needSpan },
          };
          entry.samplesNotEvaluated++;
          entry.history = { samples: baseline.samples, spanHours: Math.round(baseline.spanHours * 100) / 100 };
          short.set(key, entry);
          continue;
        }
        result.evaluated++;
        const breach = classify(settings.metrics[sample.metric], baseline, sample.value, settings.noiseMads);
        if (!breach) continue;
        const symptom = await this.signals.insertSymptom(tenantId, sample, baseline, breach);
        result.symptoms.push(symptomView(symptom));
        for (const escalation of await this.maybeEscalate(tenantId, symptom, settings, skipped))
          result.escalations.push(escalationView(escalation));
      }
      result.insufficientHistory = [...short.values()];
      result.skippedWindows = [...skipped.values()];
      result.pruned = await this.signals.pruneBefore(tenantId, retentionCutoff(settings, now));
      return result;
    });
  }

  private async baseline(tenantId: string, s: Sample, settings: IntakeSettings): Promise<Baseline> {
    const row = await this.signals.baselineOf(
      tenantId,
      s,
      new Date(s.at.getTime() - settings.baselineDays * 24 * HOUR),
    );
    return {
      samples: row.n,
      spanHours: row.first_at && row.last_at ? (row.last_at.getTime() - row.first_at.getTime()) / HOUR : 0,
      median: row.median ?? 0,
      mad: row.mad ?? 0,
    };
  }

  /**
   * `symptomCount` symptoms of this kind for this agent within `symptomWindowHours` arm an
   * escalation at the last of them, unless one already covers that time (one per kind and agent
   * while armed; a later one may follow once the TTL has passed). Every window that holds this
   * symptom is judged, in time order: the one ending at it, and, for a symptom that arrived late,
   * those ending at the symptoms after it, which it may complete. Arming reports the incident and
   * publishes DegradationDetected. A window ending more than MAX_INCIDENT_AGE_MS (30 days) before
   * the database's now, the clock ReportIncident bounds occurredAt by, arms nothing: its incident
   * would be re-dated to now, an open incident for a regression long past (possible when
   * `retentionDays` exceeds 30 days, or a sample at the retention edge meets a database clock ahead);
   * it is added to `skipped` (by series and end), for the answer to say so.
   */
  private async maybeEscalate(
    tenantId: string,
    symptom: SymptomRow,
    settings: IntakeSettings,
    skipped: Map<string, SkippedWindow>,
  ): Promise<EscalationRow[]> {
    const at = symptom.at.getTime();
    const windowMs = settings.symptomWindowHours * HOUR;
    const ttlMs = settings.escalationTtlHours * HOUR;
    const near = await this.signals.symptomsBetween(
      tenantId,
      symptom,
      new Date(at - windowMs),
      new Date(at + windowMs),
    );
    const times = near.map((s) => s.at.getTime());
    let armed: { from: number; until: number }[] | null = null;
    let oldest: number | null = null;
    const escalations: EscalationRow[] = [];
    let first = 0;
    for (let i = 0; i < near.length; i++) {
      const end = times[i];
      // Each moment from this symptom's on is a window's end, judged once with all its symptoms.
      if (end < at || (i + 1 < near.length && times[i + 1] === end)) continue;
      while (times[first] <= end - windowMs) first++;
      const window = near.slice(first, i + 1);
      if (window.length < settings.symptomCount) continue;
      oldest ??= (await this.tx.now()).getTime() - MAX_INCIDENT_AGE_MS;
      if (end < oldest) {
        // Judged again from a later symptom of this request, the window may hold more: the last judgement stands.
        const key = `${symptom.metric}\u0000${symptom.agent_id}\u0000${symptom.capability}\u0000${end}`;
        skipped.set(key, {
          metric: symptom.metric,
          agentId: symptom.agent_id || null,
          capability: symptom.capability || null,
          from: window[0].at.toISOString(),
          until: new Date(end).toISOString(),
          symptoms: window.length,
          reason: 'older_than_incident_age',
          oldestAllowed: new Date(oldest).toISOString(),
        });
        continue;
      }
      armed ??= (
        await this.signals.escalationsArmedBetween(tenantId, symptom, symptom.at, new Date(at + windowMs + ttlMs))
      ).map((e) => ({ from: e.armed_at.getTime(), until: e.expires_at.getTime() }));
      if (armed.some((e) => e.from < end + ttlMs && e.until > end)) continue;
      const escalation = await this.arm(tenantId, end === at ? symptom : near[i], window, settings);
      armed.push({ from: end, until: end + ttlMs });
      escalations.push(escalation);
    }
    return escalations;
  }

  private async arm(
    tenantId: string,
    symptom: SymptomRow,
    recent: SymptomRow[],
    settings: IntakeSettings,
  ): Promise<EscalationRow> {
    const at = symptom.at.getTime();
    const ttlMs = settings.escalationTtlHours * HOUR;
    const { incident } = await this.commands.execute(
      new ReportIncident({
        tenantId,
        input: {
          errorType: `degradation.${symptom.metric}`,
          message: degradationMessage(symptom, recent, settings),
          agentId: symptom.agent_id || undefined,
          capability: symptom.capability || undefined,
          severity: recent.some((s) => s.severity === 'critical') ? 'high' : 'medium',
          occurredAt: symptom.at.toISOString(),
          context: {
            degradation: {
              metric: symptom.metric,
              symptoms: recent.map((s) => ({
                id: s.id,
                at: s.at.toISOString(),
                value: s.value,
                baseline: s.baseline,
                deltaPct: s.delta_pct,
                severity: s.severity,
              })),
            },
          },
        },
        idempotencyKey: null,
        origin: { source: 'degradation' },
        // No one reads the answer: a symptom's time out of bounds is taken as the receipt time.
        occurredAtOutOfBounds: 'receipt-time',
      }),
    );
    const row = await this.signals.insertEscalation(
      tenantId,
      symptom,
      new Date(at + ttlMs),
      recent.map((s) => s.id),
      incident.id,
    );
    await this.events.publish(
      new DegradationDetected({
        tenantId,
        incidentId: incident.id,
        escalationId: row.id,
        metric: row.metric,
        agentId: row.agent_id || null,
        capability: row.capability || null,
        severity: recent.some((s) => s.severity === 'critical') ? 'critical' : 'warning',
        message: incident.message,
        armedAt: row.armed_at.toISOString(),
        expiresAt: row.expires_at.toISOString(),
      }),
    );
    return row;
  }
}

/** "latency_ms of agent-7 degraded against its 7-day baseline: 3 symptoms in 24 h: +62.0 % (180 vs 111) at …". */
export function degradationMessage(symptom: SymptomRow, recent: SymptomRow[], settings: IntakeSettings): string {
  const who = [symptom.agent_id || 'no agent', symptom.capability].filter(Boolean).join(' / ');
  const delta = (s: SymptomRow) =>
    `${s.delta_pct === null ? 'first over a zero baseline' : `${s.delta_pct >= 0 ? '+' : ''}${s.delta_pct.toFixed(1)} %`} (${s.value} vs ${round(s.baseline)}, ${s.severity}) at ${s.at.toISOString()}`;
  return `${symptom.metric} of ${who} degraded against its ${settings.baselineDays}-day baseline: ${recent.length} symptoms in ${settings.symptomWindowHours} h: ${recent.map(delta).join('; ')}`.slice(
    0,
    16_384,
  );
}

const round = (n: number) => Math.round(n * 1000) / 1000;
