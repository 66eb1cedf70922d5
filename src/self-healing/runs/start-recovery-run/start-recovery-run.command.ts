import { Command } from '@nestjs/cqrs';
import type { IncidentView } from '../../../incidents/incident.view.js';
import type { RunView } from '../run.view.js';

export interface StartRecoveryRunProps {
  tenantId: string;
  /** The approved or auto-applied recovery (null: `POST /patches/trigger`, a reported problem). */
  recoveryId: string | null;
  incidentId: string | null;
  /** The incident, when the caller has read it in this transaction already (auto-apply: with the guardrails' lock). */
  incident?: IncidentView | null;
  patternId: string | null;
  playbookId: string;
  /** The recovery's parameters (template or suggestion); they fill the steps' `{{param}}` values. */
  params: Record<string, unknown>;
  automatic: boolean;
  startedBy: string;
  /** Only for runs without an incident (`POST /patches/trigger`). */
  problem?: { description: string; errorType: string; filePath: string | null };
}

/**
 * Starts one run of a playbook, in the caller's transaction: the run and its steps are rows,
 * the incident turns `mitigating`, and after commit the run is handed to this replica's engine
 * (stored leased to it, if it has room) or the engines are woken. The run is executed by the
 * engine, never by the caller, so the loop does not wait for it.
 */
export interface StartRecoveryRun extends StartRecoveryRunProps {}
export class StartRecoveryRun extends Command<RunView> {
  constructor(props: StartRecoveryRunProps) {
    super();
    Object.assign(this, props);
  }
}
