import { Query } from '@nestjs/cqrs';

/** The first line of an export names its format; scripts/verify-audit-export.mjs reads it. */
export const EXPORT_FORMAT = 'pillar-loop.audit-export/1';

export interface ExportAuditLogProps {
  tenantId: string;
  /** Takes each chunk of JSON lines; the export waits for it (a slow reader slows the export, nothing piles up). */
  write: (chunk: string) => Promise<void>;
}
export interface ExportAuditLog extends ExportAuditLogProps {}
/**
 * The tenant's whole log as JSON lines, from one snapshot: a header (format, tenant, head, the
 * public key), every checkpoint, then every entry in seq order, each with its hashes. Answers the
 * number of entries written.
 */
export class ExportAuditLog extends Query<number> {
  constructor(props: ExportAuditLogProps) {
    super();
    Object.assign(this, props);
  }
}
