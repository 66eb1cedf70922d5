import { CommandBus, CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { ReportIncident } from '../../../incidents/report-incident/report-incident.command.js';
import { columnsOf, TransactionHost } from '../../../platform/database/transaction-host.js';
import { uuidv7 } from '../../../platform/ids/uuid-v7.js';
import { DegradationDetected } from '../../events/degradation-detected.event.js';
import type { IntakeSettings } from '../../settings/intake-settings.js';
import { IntakeSettingsRepository } from '../../settings/intake-settings.repository.js';
import { classify, type Baseline, type Breach } from '../detection.js';
import type { Sample } from '../samples.js';
import { escalationView, symptomView, type EscalationRow, type SymptomRow } from '../signal.view.js';
import { RecordSamples, type InsufficientHistory, type RecordSamplesResult } from './record-samples.command.js';

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
    private readonly settingsRepository: IntakeSettingsRepository,
    private readonly commands: CommandBus,
    private readonly events: EventBus,
  ) {}

  execute({ tenantId, samples }: RecordSamples): Promise<RecordSamplesResult> {
    return this.tx.run(async () => {
      await this.tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`intake:signals:${tenantId}`]);
      const settings = await this.settingsRepository.get(tenantId);
      const ordered = [...samples].sort((a, b) => a.at.getTime() - b.at.getTime());
      await this.tx.query(
        `INSERT INTO signal_samples (id, tenant_id, metric, agent_id, capability, value, at)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::timestamptz[])`,
        columnsOf(ordered.map((s) => [uuidv7(), tenantId, s.metric, s.agentId, s.capability, s.value, s.at])),
      );
      const result: RecordSamplesResult = {
        accepted: samples.length, evaluated: 0, symptoms: [], escalations: [], insufficientHistory: [], pruned: { samples: 0, symptoms: 0 },
      };
      const short = new Map<string, InsufficientHistory>();
      for (const sample of ordered) {
        const baseline = await this.baseline(tenantId, sample, settings);
        const { samples: needSamples, spanHours: needSpan } = settings.minHistory;
        if (baseline.samples < needSamples || baseline.spanHours < needSpan) {
          const key = `${sample.metric}\u0000${sample.agentId}\u0000${sample.capability}`;
          const entry = short.get(key) ?? {
            metric: sample.metric, agentId: sample.agentId || null, capability: sample.capability || null,
            samplesNotEvaluated: 0, history: { samples: 0, spanHours: 0 }, required: { samples: needSamples, spanHours: needSpan },
          };
          entry.samplesNotEvaluated++;
          entry.history = { samples: baseline.samples, spanHours: Math.round(baseline.spanHours * 100) / 100 };
          short.set(key, entry);
          continue;
        }
        result.evaluated++;
        const breach = classify(settings.metrics[sample.metric], baseline, sample.value, settings.noiseMads);
        if (!breach) continue;
        const symptom = await this.recordSymptom(tenantId, sample, baseline, breach);
        result.symptoms.push(symptomView(symptom));
        const escalation = await this.maybeEscalate(tenantId, symptom, settings);
        if (escalation) result.escalations.push(escalationView(escalation));
      }
      result.insufficientHistory = [...short.values()];
      result.pruned = await this.prune(tenantId, settings);
      return result;
    });
  }

  private async baseline(tenantId: string, s: Sample, settings: IntakeSettings): Promise<Baseline> {
    const [row] = await this.tx.query<{ n: number; first_at: Date | null; last_at: Date | null; median: number | null; mad: number | null }>(
      `WITH w AS (
         SELECT value, at FROM signal_samples
          WHERE tenant_id = $1 AND metric = $2 AND agent_id = $3 AND capability = $4 AND at >= $5 AND at < $6),
       m AS (SELECT count(*)::int AS n, min(at) AS first_at, max(at) AS last_at,
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS median FROM w)
       SELECT m.*, (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(w.value - m.median)) FROM w) AS mad FROM m`,
      [tenantId, s.metric, s.agentId, s.capability, new Date(s.at.getTime() - settings.baselineDays * 24 * HOUR), s.at],
    );
    return {
      samples: row.n,
      spanHours: row.first_at && row.last_at ? (row.last_at.getTime() - row.first_at.getTime()) / HOUR : 0,
      median: row.median ?? 0,
      mad: row.mad ?? 0,
    };
  }

  private async recordSymptom(tenantId: string, s: Sample, b: Baseline, breach: Breach): Promise<SymptomRow> {
    const [row] = await this.tx.query<SymptomRow>(
      `INSERT INTO signal_symptoms (id, tenant_id, metric, agent_id, capability, severity, value, baseline, mad, delta_pct, baseline_samples, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
      [uuidv7(), tenantId, s.metric, s.agentId, s.capability, breach.severity, s.value, b.median, b.mad, breach.deltaPct, b.samples, s.at],
    );
    return row;
  }

  /**
   * `symptomCount` symptoms of this kind for this agent within `symptomWindowHours` up to this
   * one arm an escalation, unless one already covers this time (one per kind and agent while
   * armed; a later one may follow once the TTL has passed). Arming reports the incident and
   * publishes DegradationDetected.
   */
  private async maybeEscalate(tenantId: string, symptom: SymptomRow, settings: IntakeSettings): Promise<EscalationRow | null> {
    const at = symptom.at.getTime();
    const ttlMs = settings.escalationTtlHours * HOUR;
    const recent = await this.tx.query<SymptomRow>(
      `SELECT * FROM signal_symptoms WHERE tenant_id = $1 AND metric = $2 AND agent_id = $3 AND at > $4 AND at <= $5 ORDER BY at, id`,
      [tenantId, symptom.metric, symptom.agent_id, new Date(at - settings.symptomWindowHours * HOUR), symptom.at],
    );
    if (recent.length < settings.symptomCount) return null;
    const [armed] = await this.tx.query(
      `SELECT 1 FROM signal_escalations WHERE tenant_id = $1 AND metric = $2 AND agent_id = $3 AND armed_at < $5 AND expires_at > $4 LIMIT 1`,
      [tenantId, symptom.metric, symptom.agent_id, symptom.at, new Date(at + ttlMs)],
    );
    if (armed) return null;
    const { incident } = await this.commands.execute(
      new ReportIncident(tenantId, {
        errorType: `degradation.${symptom.metric}`,
        message: degradationMessage(symptom, recent, settings),
        agentId: symptom.agent_id || undefined,
        capability: symptom.capability || undefined,
        severity: recent.some((s) => s.severity === 'critical') ? 'high' : 'medium',
        occurredAt: symptom.at.toISOString(),
        context: {
          degradation: {
            metric: symptom.metric,
            symptoms: recent.map((s) => ({ id: s.id, at: s.at.toISOString(), value: s.value, baseline: s.baseline, deltaPct: s.delta_pct, severity: s.severity })),
          },
        },
      }, null, { source: 'degradation' }),
    );
    const [row] = await this.tx.query<EscalationRow>(
      `INSERT INTO signal_escalations (id, tenant_id, metric, agent_id, capability, armed_at, expires_at, symptom_ids, incident_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
      [uuidv7(), tenantId, symptom.metric, symptom.agent_id, symptom.capability, symptom.at, new Date(at + ttlMs), recent.map((s) => s.id), incident.id],
    );
    await this.events.publish(
      new DegradationDetected({
        tenantId, incidentId: incident.id, escalationId: row.id, metric: row.metric, agentId: row.agent_id || null, capability: row.capability || null,
        severity: recent.some((s) => s.severity === 'critical') ? 'critical' : 'warning', message: incident.message,
        armedAt: row.armed_at.toISOString(), expiresAt: row.expires_at.toISOString(),
      }),
    );
    return row;
  }

  private async prune(tenantId: string, settings: IntakeSettings): Promise<{ samples: number; symptoms: number }> {
    const cutoff = new Date(Date.now() - settings.retentionDays * 24 * HOUR);
    const samples = await this.tx.query(`DELETE FROM signal_samples WHERE tenant_id = $1 AND at < $2 RETURNING 1`, [tenantId, cutoff]);
    const symptoms = await this.tx.query(`DELETE FROM signal_symptoms WHERE tenant_id = $1 AND at < $2 RETURNING 1`, [tenantId, cutoff]);
    return { samples: samples.length, symptoms: symptoms.length };
  }
}

/** "latency_ms of agent-7 degraded against its 7-day baseline: 3 symptoms in 24 h: +62.0 % (180 vs 111) at …". */
export function degradationMessage(symptom: SymptomRow, recent: SymptomRow[], settings: IntakeSettings): string {
  const who = [symptom.agent_id || 'no agent', symptom.capability].filter(Boolean).join(' / ');
  const delta = (s: SymptomRow) =>
    `${s.delta_pct === null ? 'first over a zero baseline' : `${s.delta_pct >= 0 ? '+' : ''}${s.delta_pct.toFixed(1)} %`} (${s.value} vs ${round(s.baseline)}, ${s.severity}) at ${s.at.toISOString()}`;
  return `${symptom.metric} of ${who} degraded against its ${settings.baselineDays}-day baseline: ${recent.length} symptoms in ${settings.symptomWindowHours} h: ${recent.map(delta).join('; ')}`.slice(0, 16_384);
}

const round = (n: number) => Math.round(n * 1000) / 1000;
