import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { incidentView, type IncidentView } from '../incident.view.js';
import { IncidentsRepository } from '../incidents.repository.js';
import { FindUnresolvedIncidentByFingerprint } from './find-unresolved-incident-by-fingerprint.query.js';

@QueryHandler(FindUnresolvedIncidentByFingerprint)
export class FindUnresolvedIncidentByFingerprintHandler implements IQueryHandler<FindUnresolvedIncidentByFingerprint> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly incidents: IncidentsRepository,
  ) {}

  /** Inside the caller's transaction the row stays locked until it commits. */
  execute({ tenantId, fingerprint }: FindUnresolvedIncidentByFingerprint): Promise<IncidentView | null> {
    return this.tx.run(async () => {
      const row = await this.incidents.findUnresolvedByFingerprint(tenantId, fingerprint);
      return row ? incidentView(row) : null;
    });
  }
}
