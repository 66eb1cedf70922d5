import { Command } from '@nestjs/cqrs';
import type { AuditCheckpoint } from '../chain/checkpoint.js';

/** What a retention cut removed: how many entries, and its signed checkpoint (null: nothing to cut). */
export interface AuditRetentionResult {
  entriesCut: number;
  checkpoint: AuditCheckpoint | null;
}

export interface ApplyAuditRetentionProps {
  tenantId: string;
  /**
   * Entries older than this (ISO 8601; without an offset, UTC) go; it must be at least
   * AUDIT_RETENTION_MIN_DAYS ago.
   */
  before: string;
  reason: string;
  actor: string;
}
export interface ApplyAuditRetention extends ApplyAuditRetentionProps {}
/**
 * Cuts the tenant's oldest entries, keeping the chain verifiable: the cut stretch is verified,
 * a signed retention checkpoint names its last entry's hash (where the kept chain links from) and
 * what was cut, and the cut is itself recorded in the log (`audit.retention_applied`).
 */
export class ApplyAuditRetention extends Command<AuditRetentionResult> {
  constructor(props: ApplyAuditRetentionProps) {
    super();
    Object.assign(this, props);
  }
}
