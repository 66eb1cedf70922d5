import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { WaitingWorkReadModel, type WaitingRow } from '../waiting-work.read-model.js';
import type { WaitingWorkPage, WaitingWorkView } from '../waiting-work.view.js';
import { ListWaitingWork } from './list-waiting-work.query.js';

@QueryHandler(ListWaitingWork)
export class ListWaitingWorkHandler implements IQueryHandler<ListWaitingWork> {
  constructor(
    private readonly readModel: WaitingWorkReadModel,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ tenantId, kinds, limitPerKind, longest, subjectIds }: ListWaitingWork): Promise<WaitingWorkPage> {
    const rows =
      subjectIds === undefined
        ? await this.readModel.list(tenantId, kinds, limitPerKind, longest)
        : await this.readModel.about(tenantId, kinds, subjectIds);
    const totals: WaitingWorkPage['totals'] = Object.fromEntries(kinds.map((k) => [k, 0]));
    for (const row of rows) totals[row.kind] = row.total;
    return { items: rows.map((r) => this.view(r)), totals };
  }

  private view(r: WaitingRow): WaitingWorkView {
    // A recovery awaiting review expires at its expires_at (set when it was suggested, movable by an
    // operator); one stored without it, RECOVERY_REVIEW_TTL_MS after it was suggested (0: never), as
    // the expiry sweep judges it.
    const ttl = this.config.recoveryReviewTtlMs;
    const legacyExpiry =
      (r.subject_type === 'pattern' || r.subject_type === 'recovery') && ttl > 0
        ? new Date(r.since.getTime() + ttl)
        : null;
    const expires = r.deadline ?? legacyExpiry;
    return {
      kind: r.kind,
      subject: { type: r.subject_type, id: r.subject_id },
      stepId: r.step_id,
      since: r.since.toISOString(),
      deadline: expires?.toISOString() ?? null,
      severity: r.severity,
      incidentIds: r.incident_ids,
      agentId: r.agent_id,
      capability: r.capability,
      playbook: r.playbook,
      text: r.text ?? '',
      detail: r.detail,
      count: r.count,
    };
  }
}
