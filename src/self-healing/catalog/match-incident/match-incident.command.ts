import { Command } from '@nestjs/cqrs';
import { extractSignature } from '../signature.js';

/**
 * The catalog's unit of locking for an incident: it is only ever matched against (and added to)
 * the patterns of this bucket, so callers that match one bucket at a time never race.
 */
export function catalogBucketOf(tenantId: string, errorType: string, message: string): string {
  const signature = extractSignature(errorType, message);
  return `${tenantId}|${signature.errorType}|${signature.shapeKey}`;
}

export interface CatalogMatch {
  patternId: string;
  /** Similarity to the pattern it joined; 1 for a new pattern. */
  score: number;
  isNew: boolean;
  occurrenceCount: number;
}

export interface MatchIncidentToCatalogProps {
  tenantId: string;
  incidentId: string;
  errorType: string;
  message: string;
  agentId: string | null;
  capability: string | null;
}

/** Files an incident under the tenant's failure catalog: joins a pattern or founds one. */
export interface MatchIncidentToCatalog extends MatchIncidentToCatalogProps {}
export class MatchIncidentToCatalog extends Command<CatalogMatch> {
  constructor(props: MatchIncidentToCatalogProps) {
    super();
    Object.assign(this, props);
  }
}
