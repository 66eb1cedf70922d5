import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { columnsOf, TransactionHost, type Statement } from '../../platform/database/transaction-host.js';
import { RecordDecision } from './record-decision.command.js';
import { uuidv7 } from '../../platform/ids/uuid-v7.js';

@CommandHandler(RecordDecision)
export class RecordDecisionHandler implements ICommandHandler<RecordDecision> {
  constructor(private readonly tx: TransactionHost) {}

  /** Decisions are only read by later requests: written at commit, all of a transaction's in one statement. */
  private readonly insertDecisions = (rows: unknown[][]): Statement[] => [
    {
      sql: `INSERT INTO decisions (id, tenant_id, incident_id, kind, summary, details)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::jsonb[])`,
      params: columnsOf(rows),
    },
  ];

  execute(c: RecordDecision): Promise<void> {
    return this.tx.deferWrite(this.insertDecisions, [uuidv7(), c.tenantId, c.incidentId, c.kind, c.summary, JSON.stringify(c.details)]);
  }
}
