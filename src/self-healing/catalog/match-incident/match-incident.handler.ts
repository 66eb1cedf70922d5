import { Inject } from '@nestjs/common';
import { CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { MovePatternPolicy } from '../../../governance/policies/move-pattern-policy/move-pattern-policy.command.js';
import { MovePatternIncidents } from '../../../incidents/move-pattern-incidents/move-pattern-incidents.command.js';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { uuidv7 } from '../../../platform/ids/uuid-v7.js';
import { MovePatternRuns } from '../../runs/move-pattern-runs/move-pattern-runs.command.js';
import { FailurePatternRepository } from '../failure-pattern.repository.js';
import { fileSignature } from '../pattern-matcher.js';
import { extractSignature } from '../signature.js';
import { MatchIncidentToCatalog, type CatalogMatch } from './match-incident.command.js';

@CommandHandler(MatchIncidentToCatalog)
export class MatchIncidentToCatalogHandler implements ICommandHandler<MatchIncidentToCatalog> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly patterns: FailurePatternRepository,
    private readonly commands: CommandBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  execute(c: MatchIncidentToCatalog): Promise<CatalogMatch> {
    return this.tx.run(async () => {
      const signature = extractSignature(c.errorType, c.message);
      // Every incident of this bucket in the transaction (an outbox batch) shares one read; the
      // patterns are written with the commit.
      const bucket = await this.patterns.lockedBucket(c.tenantId, signature.errorType, signature.shapeKey);
      const decision = fileSignature(bucket, signature, this.config.matchThreshold);
      if (decision.kind === 'new') {
        const created = await this.patterns.found(bucket, {
          id: uuidv7(),
          tenantId: c.tenantId,
          errorType: signature.errorType,
          shapeKey: signature.shapeKey,
          tokens: signature.tokens,
          incidentId: c.incidentId,
          agentId: c.agentId,
          capability: c.capability,
        });
        return { patternId: created.id, score: 1, isNew: true, occurrenceCount: created.occurrenceCount };
      }
      const pattern = bucket.find((p) => p.id === decision.id)!;
      if (decision.kind === 'merge') {
        // The older pattern keeps its id; the runs, incidents and the policy of the others follow it.
        const absorbed = bucket.filter((p) => decision.absorbed.includes(p.id));
        await this.patterns.absorb(bucket, pattern, absorbed, decision.templateTokens, c.incidentId);
        await this.commands.execute(
          new MovePatternRuns({ tenantId: c.tenantId, fromPatternIds: decision.absorbed, toPatternId: pattern.id }),
        );
        await this.commands.execute(
          new MovePatternIncidents({
            tenantId: c.tenantId,
            fromPatternIds: decision.absorbed,
            toPatternId: pattern.id,
          }),
        );
        await this.commands.execute(
          new MovePatternPolicy({ tenantId: c.tenantId, fromPatternIds: decision.absorbed, toPatternId: pattern.id }),
        );
      }
      await this.patterns.recordOccurrence(pattern, decision.templateTokens, c.agentId, c.capability);
      return { patternId: decision.id, score: decision.score, isNew: false, occurrenceCount: pattern.occurrenceCount };
    });
  }
}
