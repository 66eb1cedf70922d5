import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { FailurePatternRepository } from '../failure-pattern.repository.js';
import { bestMatch, generalize } from '../pattern-matcher.js';
import { extractSignature } from '../signature.js';
import { MatchIncidentToCatalog, type CatalogMatch } from './match-incident.command.js';
import { uuidv7 } from '../../../platform/ids/uuid-v7.js';

@CommandHandler(MatchIncidentToCatalog)
export class MatchIncidentToCatalogHandler implements ICommandHandler<MatchIncidentToCatalog> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly patterns: FailurePatternRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  execute(c: MatchIncidentToCatalog): Promise<CatalogMatch> {
    return this.tx.run(async () => {
      const signature = extractSignature(c.errorType, c.message);
      // Every incident of this bucket in the transaction (an outbox batch) shares one read; the
      // patterns are written with the commit.
      const bucket = await this.patterns.lockedBucket(c.tenantId, signature.errorType, signature.shapeKey);
      const match = bestMatch(bucket, signature, this.config.matchThreshold);
      if (!match) {
        const created = await this.patterns.found(bucket, {
          id: uuidv7(), tenantId: c.tenantId, errorType: signature.errorType, shapeKey: signature.shapeKey,
          tokens: signature.tokens, incidentId: c.incidentId, agentId: c.agentId, capability: c.capability,
        });
        return { patternId: created.id, score: 1, isNew: true, occurrenceCount: created.occurrenceCount };
      }
      const pattern = bucket.find((p) => p.id === match.id)!;
      await this.patterns.recordOccurrence(pattern, generalize(pattern.templateTokens, signature.tokens), c.agentId, c.capability);
      return { patternId: match.id, score: match.score, isNew: false, occurrenceCount: pattern.occurrenceCount };
    });
  }
}
