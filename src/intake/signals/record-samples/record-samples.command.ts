import { Command } from '@nestjs/cqrs';
import type { Sample } from '../samples.js';
import type { EscalationView, SymptomView } from '../signal.view.js';

/** A series that raised no symptom because its trailing history is still too short. */
export interface InsufficientHistory {
  metric: string;
  agentId: string | null;
  capability: string | null;
  /** Samples of this request not judged for lack of history. */
  samplesNotEvaluated: number;
  /** The history the last of them had. */
  history: { samples: number; spanHours: number };
  required: { samples: number; spanHours: number };
}

/**
 * A window of `symptomCount` symptoms or more that armed no escalation because of the age
 * backstop: it ended more than 30 days (MAX_INCIDENT_AGE_MS) before the database's now, further
 * back than an incident may be dated (possible when `retentionDays` is above 30).
 */
export interface SkippedWindow {
  metric: string;
  agentId: string | null;
  capability: string | null;
  /** Its first symptom's time and its last's, where the window ends. */
  from: string;
  until: string;
  symptoms: number;
  reason: 'older_than_incident_age';
  /** The oldest end a window may have to arm: the database's now less 30 days. */
  oldestAllowed: string;
}

export interface RecordSamplesResult {
  accepted: number;
  /** Of those, samples already stored (same series and moment): the same reading, not judged again. */
  repeated: number;
  /** Samples that had enough history to be compared with their baseline. */
  evaluated: number;
  symptoms: SymptomView[];
  /** Escalations this request armed (each reported an incident). */
  escalations: EscalationView[];
  insufficientHistory: InsufficientHistory[];
  /** Windows of enough symptoms that armed nothing, each once, and why. */
  skippedWindows: SkippedWindow[];
  /** Samples and symptoms deleted for being older than the retention. */
  pruned: { samples: number; symptoms: number };
}

export interface RecordSamplesProps {
  tenantId: string;
  samples: Sample[];
}

/** Stores metric samples and judges each against its trailing baseline (DESIGN §10). */
export interface RecordSamples extends RecordSamplesProps {}
export class RecordSamples extends Command<RecordSamplesResult> {
  constructor(props: RecordSamplesProps) {
    super();
    Object.assign(this, props);
  }
}
