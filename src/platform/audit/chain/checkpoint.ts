import { canonicalJson } from './canonical-json.js';

export const CHECKPOINT_KINDS = ['periodic', 'on_demand', 'retention'] as const;
export type CheckpointKind = (typeof CHECKPOINT_KINDS)[number];

/** What a retention cut removed: entries fromSeq…throughSeq, all older than `before`. */
export interface RetentionCut {
  fromSeq: number;
  throughSeq: number;
  entries: number;
  before: string;
}

/**
 * A signed statement that a tenant's chain had, at `seq`, the entry hash `hash` (for a retention
 * checkpoint: the last entry cut, whose hash the first kept entry carries as prevHash).
 */
export interface AuditCheckpoint {
  tenantId: string;
  seq: number;
  hash: string;
  /** When it was signed (ISO 8601 UTC, milliseconds). */
  at: string;
  kind: CheckpointKind;
  cut: RetentionCut | null;
  /** Which key signed: the first 16 hex digits of SHA-256 over the raw 32-byte Ed25519 public key. */
  keyId: string;
  /** Base64 Ed25519 signature over the UTF-8 bytes of checkpointStatement(this checkpoint). */
  signature: string;
}

/** The signed text: the checkpoint without its signature, as canonical JSON, typed so it cannot pass for an entry. */
export function checkpointStatement(c: Omit<AuditCheckpoint, 'signature'>): string {
  const { tenantId, seq, hash, at, kind, cut, keyId } = c;
  return canonicalJson({ type: 'pillar-loop.audit-checkpoint', tenantId, seq, hash, at, kind, cut, keyId });
}
