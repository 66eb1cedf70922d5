import { Query } from '@nestjs/cqrs';
import type { LoopStatus } from './loop-status.js';

/** The loop status of one incident, or null when the tenant has no such incident. */
export class GetLoopStatus extends Query<LoopStatus | null> {
  constructor(
    readonly tenantId: string,
    readonly incidentId: string,
  ) {
    super();
  }
}
