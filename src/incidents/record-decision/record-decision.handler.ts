import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { RecordDecision } from './record-decision.command.js';

@CommandHandler(RecordDecision)
export class RecordDecisionHandler implements ICommandHandler<RecordDecision> {
  constructor(private readonly tx: TransactionHost) {}

  async execute(c: RecordDecision): Promise<void> {
    await this.tx.query(
      `INSERT INTO decisions (id, tenant_id, incident_id, kind, summary, details) VALUES ($1, $2, $3, $4, $5, $6)`,
      [randomUUID(), c.tenantId, c.incidentId, c.kind, c.summary, JSON.stringify(c.details)],
    );
  }
}
