import { Query } from '@nestjs/cqrs';
import type { LoopStatus } from './loop-status.js';

export interface GetLoopStatusProps {
  tenantId: string;
  incidentId: string;
}

/** The loop status of one incident, or null when the tenant has no such incident. */
export interface GetLoopStatus extends GetLoopStatusProps {}
export class GetLoopStatus extends Query<LoopStatus | null> {
  constructor(props: GetLoopStatusProps) {
    super();
    Object.assign(this, props);
  }
}
